"""Which devices exist here: a device flag is checked before any data or model is touched."""
from __future__ import annotations

import re

FORMS = ("auto", "cpu", "cuda", "cuda:N", "mps")


def device_problem(device: str) -> str | None:
    """None when ``device`` can be used on this machine, else what is wrong and what would work."""
    import torch

    from webcorpus.suggest import did_you_mean

    usable = ["auto", "cpu"]
    cuda_count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    usable += ["cuda"] + [f"cuda:{i}" for i in range(cuda_count)] if cuda_count else []
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        usable.append("mps")
    if device in usable:
        return None
    here = f"usable here: {', '.join(usable)}"
    match = re.fullmatch(r"cuda(?::(\d+))?", device)
    if match:
        if not cuda_count:
            return f"device {device!r}: this machine has no CUDA device (torch {torch.__version__} sees none); {here}"
        return f"device {device!r}: there are {cuda_count} CUDA device(s), numbered from 0; {here}"
    if device == "mps":
        return f"device 'mps': Apple's Metal backend is not available here; {here}"
    return f"device {device!r} is not a device{did_you_mean(device, FORMS)}; valid forms: {', '.join(FORMS)}; {here}"
