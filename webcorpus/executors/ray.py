"""The Ray executor: the same tasks and the same stage objects, on a Ray cluster.

It offers exactly what the local executor offers — ``run`` (a function over
items, with what is shipped once per worker) and an ordered parallel ``map`` —
so the runner, the stages and the output are unchanged. Ray retries a call
whose worker died; that is safe because the pipeline's units of work are
idempotent (a file task deletes its own partial shards first and writes by
rename): nothing lost, nothing twice.

``address`` joins an existing cluster (``ray start --head`` on one machine,
``ray start --address=HEAD:6379`` on the others, or KubeRay; ``auto``: the one
this machine runs); without one (and no ``RAY_ADDRESS``), a new local Ray
instance is started. Before joining, ``ray_access`` checks the cluster's token
and versions, so a driver that cannot join fails at once with one line saying
why. Ray is an optional extra: ``pip install 'webcorpus[ray]'``; the local
executor never imports it.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Callable, Sequence

from webcorpus.executors.base import Failure, ItemFunction, call_reporting_failure, no_progress
from webcorpus.executors.ray_access import ClusterRefused, EnvChanges, explain, prepare_join, prepare_local

#: Ray retries a task whose worker process died this many times before the task counts as failed.
MAX_RETRIES = 3

_shipped_cache: dict[str, Any] = {}


def _shipped_for(ref_holder: list) -> Any:
    """Deserialize what is shipped once per worker process, so setup() (model loading) happens once."""
    import ray

    key = ref_holder[0].hex()
    if key not in _shipped_cache:
        _shipped_cache.clear()
        _shipped_cache[key] = ray.get(ref_holder[0])
    return _shipped_cache[key]


def _call(fn: ItemFunction, item, ref_holder: list):
    return call_reporting_failure(fn, item, _shipped_for(ref_holder), no_progress)


def _apply(fn_and_item):
    fn, item = fn_and_item
    return fn(item)


def _check_reachable(address: str, timeout: float = 10.0) -> None:
    """Fail at once with a clear message, rather than let ray.init wait minutes for a head that is not there."""
    import socket

    host, _, port = address.removeprefix("ray://").rpartition(":")
    try:
        with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout):
            pass
    except (OSError, ValueError) as exc:
        raise ClusterRefused(
            f"no Ray cluster answers at {address} ({exc}); start one with `ray start --head` or check --ray-address"
        ) from None


def _is_loopback(address: str | None) -> bool:
    return bool(address) and address.rsplit(":", 1)[0] in ("127.0.0.1", "localhost", "[::1]")


def _local_cluster() -> str:
    """``auto``: the address of the cluster this machine runs, as Ray finds it."""
    from ray._private.services import canonicalize_bootstrap_address_or_die

    try:
        return canonicalize_bootstrap_address_or_die("auto")
    except Exception as exc:  # noqa: BLE001 - Ray says why in its own words
        first = " ".join(str(exc).split())[:200]
        raise ClusterRefused(f"no Ray cluster found on this machine for address 'auto' ({first}); start one with "
                             "`ray start --head` or give --ray-address HOST:PORT") from None


def _init_ray(ray, address: str | None) -> EnvChanges:
    """``ray.init`` after the checks of ``ray_access``; what they set in os.environ, to put back at close."""
    if address == "auto":
        address = _local_cluster()
    if address is None:
        env = prepare_local()
    elif address.startswith("ray://"):
        env = EnvChanges()  # Ray Client: a proxy in front of the cluster, which answers for itself
    else:
        env = prepare_join(address)
    # Workers import webcorpus (and a user's own stage modules) from the driver's paths.
    paths = [p for p in sys.path if p and os.path.isdir(p)]
    runtime_env = {"env_vars": {"PYTHONPATH": os.pathsep.join(paths)}}
    options = {}
    if _is_loopback(address):
        options["_node_ip_address"] = "127.0.0.1"
    try:
        # "local": a new instance, never a cluster Ray would find by itself (RAY_ADDRESS was read above).
        ray.init(address=address or "local", runtime_env=runtime_env, log_to_driver=False,
                 include_dashboard=False, **options)
    except Exception as exc:  # noqa: BLE001 - whatever stopped the join, said in one line
        if ray.is_initialized():
            ray.shutdown()
        env.restore()
        raise ClusterRefused(explain(exc, address)) from None
    return env


class RayExecutor:
    name = "ray"

    def __init__(self, workers: int = 1, address: str | None = None, cpus_per_task: float = 1.0, memory_per_task: int | None = None):
        address = address or os.environ.get("RAY_ADDRESS") or None  # Ray's own variable, read as Ray reads it
        if address and address != "auto":
            _check_reachable(address)
        if _is_loopback(address) and "ray" not in sys.modules:
            # A cluster on this machine: keep Ray on 127.0.0.1 rather than the host's network address.
            os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
        try:
            import ray
        except ImportError as exc:
            raise ImportError("the ray executor needs Ray: pip install 'webcorpus[ray]'") from exc
        self.workers = max(1, int(workers))
        self.address = address
        self.cpus_per_task = cpus_per_task
        self.memory_per_task = memory_per_task
        self._env = EnvChanges()
        if not ray.is_initialized():
            self._env = _init_ray(ray, address)
        self._ray = ray

    def node_cpus(self) -> int:
        """The most CPUs one node of the cluster has: more asked by one task and it would never start."""
        nodes = [n for n in self._ray.nodes() if n.get("Alive")]
        return int(max([n.get("Resources", {}).get("CPU", 0) for n in nodes] + [1]))

    def _options(self, needs: Sequence = ()) -> dict:
        """Ray task options: the executor's defaults, raised to what ``needs`` (a step's stages) declare."""
        requests = [getattr(need, "resources", {}) or {} for need in needs]
        cpus = max([self.cpus_per_task] + [r.get("num_cpus", 0) for r in requests])
        memory = sum(r.get("memory", 0) for r in requests) or self.memory_per_task
        options = {"num_cpus": cpus, "max_retries": MAX_RETRIES}
        if memory:
            options["memory"] = int(memory)
        return options

    def run(
        self,
        fn: ItemFunction,
        items: Sequence,
        shipped: Any,
        on_result: Callable[[Any, Any], None],
        on_progress: Callable[[int], None] | None = None,
        needs: Sequence = (),
    ) -> None:
        """``fn(item, shipped, progress)`` as Ray tasks; ``on_result(item, value or Failure)`` as each finishes.
        Running counts are not streamed from a cluster (``on_progress`` is not called)."""
        if not items:
            return
        ray = self._ray
        remote = ray.remote(_call).options(**self._options(needs))
        holder = [ray.put(shipped)]
        pending = list(reversed(items))
        in_flight: dict = {}
        while pending or in_flight:
            while pending and len(in_flight) < self.workers * 2:
                item = pending.pop()
                in_flight[remote.remote(fn, item, holder)] = item
            done, _ = ray.wait(list(in_flight), num_returns=1)
            for ref in done:
                item = in_flight.pop(ref)
                try:
                    result = ray.get(ref)
                except Exception as exc:  # retries exhausted, or the task could not run at all
                    result = Failure.of(exc)
                on_result(item, result)

    def map(self, fn: Callable, items: Sequence, on_done: Callable[[], None] | None = None) -> list:
        """Apply ``fn`` to every item as Ray tasks; results in input order; ``on_done`` per finished item."""
        ray = self._ray
        remote = ray.remote(_apply).options(**self._options())
        refs = [remote.remote((fn, item)) for item in items]
        waiting = list(refs)
        while waiting:
            done, waiting = ray.wait(waiting, num_returns=1)
            ray.get(done)  # raise here, at once, if a task failed
            if on_done:
                on_done()
        return ray.get(refs)

    def close(self) -> None:
        if self._ray.is_initialized():
            self._ray.shutdown()
        self._env.restore()
