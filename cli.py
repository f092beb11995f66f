"""The ``webcorpus`` command from a checkout, without installing it: ``python cli.py run pipelines/main.yaml ...``.

The command lives in the package (:mod:`webcorpus.cli`: the installed ``webcorpus`` script and
``python -m webcorpus`` are the same); Python puts this file's folder, the checkout, first on its path, so
the checkout's package is the one that runs. What webcorpus needs must be importable (``make setup``).
"""
from webcorpus.cli import main

if __name__ == "__main__":
    main(prog_name="webcorpus")
