"""The bundled GPT trainer: llm.c-format token shards in, a model and its metrics out.

``model.py`` (the GPT), ``loss.py`` (its chunked output-layer loss), ``data.py`` (shards and the
loader), ``batches.py`` (batches onto the device), ``config.py`` (options and presets),
``optim.py`` (AdamW, Muon), ``runtime.py`` (device, ranks, RNG, speed settings), ``devices.py``
(GPU peaks for MFU), ``metrics.py`` (step timing and metrics lines), ``checkpoint.py``,
``train.py`` (the loop), ``sample.py`` (generation), ``commands.py`` (the CLI).
Nothing here imports torch at package import time.
"""
