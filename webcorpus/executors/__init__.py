"""Where tasks run: the contract (``base.Executor``), a local process pool, and a Ray cluster."""
