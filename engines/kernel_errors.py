"""The kernel's errors (kept apart so the kernel and its publish path share them)."""


class KernelError(RuntimeError):
    """The kernel was used against its structure (register after build, unknown stage...)."""


class KernelFaulted(KernelError):
    """A record was offered to a kernel that faulted earlier (crash-only: restart is recovery).

    ``seq`` is the record the kernel was handling when it faulted; ``__cause__`` is the fault.
    """

    def __init__(self, message: str, seq: int) -> None:
        super().__init__(message)
        self.seq = seq
