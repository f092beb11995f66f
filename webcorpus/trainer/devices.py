"""GPU peaks for MFU: dense bf16 tensor-core FLOP/s from the vendors' data sheets.

MFU (model FLOPs utilisation) = model FLOPs per token x tokens per second / peak FLOP/s. The
peak is the *dense* bf16 figure (the data sheets print the 2:4-sparsity figure first, twice as
large; it is not what a dense matmul can reach). A GPU is recognised by the name torch reports
(``torch.cuda.get_device_name``), the longest matching fragment winning, and the match is checked
against the number of streaming multiprocessors the GPU reports: H100 SXM and H100 PCIe share
the fragment "H100", and only the SM count (132 against 114) tells them apart reliably.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Device:
    """One row of the table: a fragment of the torch device name, its SM count, its dense bf16 peak."""

    name: str  # fragment of torch.cuda.get_device_name(), e.g. "H100 PCIe"
    sms: int | None  # streaming multiprocessors (torch.cuda.get_device_properties().multi_processor_count)
    peak_bf16: float  # dense bf16 tensor FLOP/s (fp32 accumulate), from the vendor's data sheet


#: Vendor data sheets (NVIDIA), dense bf16 = half the "with sparsity" figure where only that is printed.
DEVICES = (
    Device("H100", 132, 989e12),  # H100 SXM5 (torch: "NVIDIA H100 80GB HBM3"); 1,979 TFLOPS sparse
    Device("H100 PCIe", 114, 756e12),  # 1,513 sparse
    Device("H100 NVL", 132, 835e12),  # 1,671 sparse
    Device("H800", 132, 989e12),  # the export H100 SXM: same tensor cores
    Device("H800 PCIe", 114, 756e12),
    Device("H200", 132, 989e12),  # H200 SXM; 1,979 sparse
    Device("H200 NVL", 132, 835e12),  # 1,671 sparse
    Device("GH200", 132, 989e12),  # Grace Hopper: the H100/H200 SXM GPU
    Device("B200", 148, 2250e12),  # HGX B200, 4,500 sparse
    Device("A100", 108, 312e12),  # SXM4 and PCIe alike; 624 sparse
    Device("A800", 108, 312e12),
    Device("A10G", 80, 70e12),  # AWS's A10 variant (lower clocks)
    Device("A10", 72, 125e12),  # 250 sparse
    Device("L4", 58, 121e12),  # 242 sparse
    Device("L40S", 142, 362e12),  # 733 sparse
    Device("L40", 142, 181e12),  # 362 sparse
)


def find_device(device_name: str, sm_count: int | None = None) -> Device | None:
    """The table row for a GPU: rows whose fragment is in ``device_name``, longest fragment first;
    with ``sm_count``, the longest one whose SM count agrees (None when none agrees)."""
    matches = sorted((d for d in DEVICES if d.name in device_name), key=lambda d: len(d.name), reverse=True)
    if sm_count is not None:
        matches = [d for d in matches if d.sms is None or d.sms == sm_count]
    return matches[0] if matches else None


def peak_flops(device_name: str, sm_count: int | None = None) -> float | None:
    """Dense bf16 peak FLOP/s of the named GPU, or None when it is not in the table (CPUs, unknown GPUs)."""
    device = find_device(device_name, sm_count)
    return device.peak_bf16 if device else None


def cuda_peak_flops(device) -> float | None:
    """The peak of a torch CUDA device, matched by the name and SM count it reports."""
    import torch

    props = torch.cuda.get_device_properties(device)
    return peak_flops(props.name, props.multi_processor_count)
