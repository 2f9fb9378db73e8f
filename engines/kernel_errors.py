"""The kernel's structural error (kept apart so the kernel and its publish path share it)."""


class KernelError(RuntimeError):
    """The kernel was used against its structure (register after build, unknown stage...)."""
