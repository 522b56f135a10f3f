"""Hardware facts through NVML (nvidia-ml-py, imported as ``pynvml``): the GPUs, their memory,
compute capability, utilisation and other processes on them.

Read in the parent process: NVML is a small C library and needs no framework. Without an
NVIDIA driver (or without nvidia-ml-py) the facts say so, GPU-only rules are skipped with
that reason, and the probes run on the CPU. Tests pass a fake NVML module.
"""

from __future__ import annotations

import contextlib
from typing import Any

from nncheck.facts import FactStore, FactUnavailable
from nncheck.facts.live import GpuFacts, HardwareFacts


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def read(nvml: Any = None) -> HardwareFacts:
    """The GPUs NVML reports; an empty list (with the reason) when there is no driver."""
    if nvml is None:
        try:
            import pynvml as nvml  # type: ignore[no-redef]
        except ImportError:
            return HardwareFacts(reason="nvidia-ml-py is not installed, so no GPU is visible")
    try:
        nvml.nvmlInit()
    except Exception as error:  # pynvml.NVMLError_*: no driver, no library
        return HardwareFacts(reason=f"no NVIDIA driver ({error})")
    try:
        facts = HardwareFacts(driver=_text(nvml.nvmlSystemGetDriverVersion()))
        for index in range(nvml.nvmlDeviceGetCount()):
            handle = nvml.nvmlDeviceGetHandleByIndex(index)
            memory = nvml.nvmlDeviceGetMemoryInfo(handle)
            gpu = GpuFacts(
                index=index,
                name=_text(nvml.nvmlDeviceGetName(handle)),
                memory_total_mib=memory.total / 2**20,
                memory_free_mib=memory.free / 2**20,
                compute_capability=tuple(nvml.nvmlDeviceGetCudaComputeCapability(handle)),
            )
            with contextlib.suppress(Exception):
                gpu.utilization_percent = int(nvml.nvmlDeviceGetUtilizationRates(handle).gpu)
            with contextlib.suppress(Exception):
                gpu.other_processes = len(nvml.nvmlDeviceGetComputeRunningProcesses(handle))
            facts.gpus.append(gpu)
        if not facts.gpus:
            facts.reason = "the NVIDIA driver reports no GPU"
        return facts
    finally:
        with contextlib.suppress(Exception):
            nvml.nvmlShutdown()


class NoGpu(FactUnavailable):
    """No NVIDIA GPU is visible; ``why`` is NVML's reason, for the report's note."""

    def __init__(self, why: str) -> None:
        super().__init__(f"needs an NVIDIA GPU: {why}")
        self.why = why


def provide(store: FactStore) -> HardwareFacts:
    """The ``hardware`` fact provider: NVML's view, or unavailable without a GPU."""
    facts = read()
    if not facts.gpus:
        raise NoGpu(facts.reason)
    return facts
