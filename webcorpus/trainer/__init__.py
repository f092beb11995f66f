"""The bundled GPT trainer: llm.c-format token shards in, a model and its metrics out.

``model.py`` (the GPT), ``data.py`` (shards and the loader), ``config.py`` (options and
presets), ``train.py`` (the loop), ``sample.py`` (generation), ``commands.py`` (the CLI).
Nothing here imports torch at package import time.
"""
