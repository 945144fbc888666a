"""The GPU types this platform offers, in one place: what RunPod calls each, its memory, its list
prices and the seeds of the cost service's time model. Provisioning rents by `runpod_id`; cost
estimates and checks memory with the rest; the gateway and the console list them."""

from __future__ import annotations

import os

import msgspec

MIB = 2**20
# The CPU runs on this host (the local provider): its physical memory.
HOST_MEMORY_BYTES = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")


class GpuType(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    runpod_id: str  # RunPod's gpuTypeId; "" for the CPU, which only the local provider runs
    spot_cents_per_hour: int  # list prices: what estimates use while RunPod's are unknown
    on_demand_cents_per_hour: int
    tokens_per_s_at_70b: float  # LoRA/QLoRA training throughput on a 70 B model
    overhead_s: float  # provisioning + weights + quantisation, before step 1
    memory_bytes: int  # what one GPU lets a process allocate (nvidia-smi's total)


GPU_TYPES: dict[str, GpuType] = {g.name: g for g in (
    # The local CPU costs nothing. The demo's job on the 135 M embedded model (61,579 estimated
    # tokens; 2 cores of an AMD EPYC) took 8:19 and 9:00 from queued to completed: ~130 tokens/s
    # after the 40 s start-up. A machine's own first finished job refits it (cost timemodel).
    GpuType(name="cpu", runpod_id="", spot_cents_per_hour=0, on_demand_cents_per_hour=0,
            tokens_per_s_at_70b=130 * 135e6 / 70e9, overhead_s=40, memory_bytes=HOST_MEMORY_BYTES),
    # UJ2.1.1 names the H100 PCIe.
    GpuType(name="H100-80GB", runpod_id="NVIDIA H100 PCIe", spot_cents_per_hour=249,
            on_demand_cents_per_hour=799, tokens_per_s_at_70b=420.0, overhead_s=900,
            memory_bytes=81_559 * MIB),
    GpuType(name="A100-80GB", runpod_id="NVIDIA A100 80GB PCIe", spot_cents_per_hour=119,
            on_demand_cents_per_hour=189, tokens_per_s_at_70b=250.0, overhead_s=1100,
            memory_bytes=81_920 * MIB),
    GpuType(name="L40S-48GB", runpod_id="NVIDIA L40S", spot_cents_per_hour=79,
            on_demand_cents_per_hour=114, tokens_per_s_at_70b=140.0, overhead_s=1200,
            memory_bytes=46_068 * MIB),
)}

# Our GPU type names → RunPod's gpuTypeId, for the types RunPod rents.
RUNPOD_GPU_IDS: dict[str, str] = {g.name: g.runpod_id for g in GPU_TYPES.values() if g.runpod_id}
