"""Where a run folder lives: local disk or object storage, behind one contract (docs/architecture.md).

``urls.py`` tells the two apart and checks an output URL before any work; ``store.py`` is the object
store with its request and byte counts; ``mirror.py`` publishes a local folder to the store in commit
order and pulls parts of it back; ``run_folder.py`` is what the runner talks to: the run folder, the
driver's small ledger folder, and the workspace a task gets on whichever machine runs it.
Nothing here imports ``webcorpus.pipeline``.
"""
