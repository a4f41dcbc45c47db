"""Run the policy arena's shards on a Dask cluster (`lasting simulate --dask`).

Dask is an optional extra (``pip install lasting[scale]``) and is imported only here, only
when asked for. The cluster's workers need Lasting installed (the same version): a shard
travels as a ``ShardTask`` naming ``lasting_core.simulation.arena.run_shard``, and comes
back as its counts (``ShardSums``), a few hundred bytes. The results are the same as on
one process (``run_arena``'s docstring says why).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from lasting_core.simulation.arena import ShardMap, ShardSums, ShardTask, run_shard

# How long to wait for the scheduler before saying it cannot be reached.
CONNECT_TIMEOUT_SECONDS = 20.0


class DaskUnavailable(RuntimeError):
    """Dask's distributed scheduler client is not installed."""


class SchedulerUnreachable(RuntimeError):
    """No Dask scheduler answered at the address within the timeout."""


@contextmanager
def dask_shard_map(address: str, timeout_seconds: float | None = None) -> Iterator[ShardMap]:
    """Connect to the scheduler at ``address`` and yield a ``ShardMap`` that runs shards there.

    Raise ``DaskUnavailable`` without Dask, ``SchedulerUnreachable`` when nothing answers
    within ``timeout_seconds`` (``CONNECT_TIMEOUT_SECONDS`` when None). The client is
    closed on the way out; the cluster itself is left running.
    """
    try:
        from distributed import Client, as_completed
    except ImportError as error:
        raise DaskUnavailable(
            "--dask needs Dask's distributed scheduler: pip install 'lasting[scale]'"
        ) from error
    timeout = CONNECT_TIMEOUT_SECONDS if timeout_seconds is None else timeout_seconds
    try:
        client = Client(address, timeout=timeout, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as error:
        raise SchedulerUnreachable(
            f"no Dask scheduler answered at {address} within {timeout:g} s ({error})"
        ) from error

    def map_shards(tasks: Sequence[ShardTask]) -> Iterator[ShardSums]:
        # pure=False: a long-lived cluster must not hand back a previous run's futures.
        futures = client.map(run_shard, list(tasks), pure=False)
        for future in as_completed(futures, loop=client.loop):
            yield future.result()

    try:
        yield map_shards
    finally:
        client.close()
