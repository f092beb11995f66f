"""Where a run folder lives: local disk or object storage, behind one contract (docs/architecture.md).

``urls.py`` tells the two apart and checks an output URL before any work; ``store.py`` is the object
store with its request and byte counts; ``mirror.py`` publishes a local folder to the store in commit
order and pulls parts of it back; ``run_folder.py`` is what the runner talks to: the run folder and
the driver's small ledger folder; ``nodes.py`` the node tasks and the place each gets on whichever
machine runs it; ``relocate.py`` moves a task item's paths from one place to another.
Nothing here imports ``webcorpus.pipeline``.
"""
