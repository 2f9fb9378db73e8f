"""engines — the kernel and the components that fold records into state.

Design contract:
- every state change happens by consuming a record from the ring, on the kernel thread;
- nothing reads the wall clock or an unseeded random generator: time is the record's ts_init;
- expected failures (risk denial, venue rejection) are records; a broken invariant stops the
  kernel with a typed error naming the seq (crash-only).
"""
