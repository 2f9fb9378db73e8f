"""Fan-out of independent tasks (backtests, journal checks) over a Dask cluster, or in process.

Design contract:
- one code path for a laptop and a cluster: no address -> a ``LocalCluster`` of ``workers``
  single-threaded worker processes bound to 127.0.0.1; ``tcp://host:8786`` -> that scheduler;
  ``workers=0`` -> no Dask at all (sequential, in this process);
- only small, plain values cross the network: task descriptions (configs, paths) in, summaries
  (rows, report text) out; never record arrays or whole journals;
- results come back in the order of the tasks, whatever order they completed in; a task killed
  with its worker is retried by the scheduler (``allowed-failures``), a task that raises is
  retried ``retries`` times, then its exception is re-raised here;
- Dask is an optional extra (``pip install ringbus[dist]``): importing this package does not
  import it, and asking for a cluster without it raises :class:`DistUnavailable`.
"""

from replay.dist.cluster import DistUnavailable, open_client
from replay.dist.tasks import map_tasks

__all__ = ["DistUnavailable", "map_tasks", "open_client"]
