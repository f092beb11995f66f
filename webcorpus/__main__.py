"""`python -m webcorpus ...` is the `webcorpus` command."""
from webcorpus.cli import main

if __name__ == "__main__":
    main(prog_name="webcorpus")
