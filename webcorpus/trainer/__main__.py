"""``python -m webcorpus.trainer train|sample ...``: the trainer's commands without the top-level CLI."""
import click

from webcorpus.trainer.commands import sample, train


@click.group()
def main():
    """Train a GPT on token shards, and sample from it."""


main.add_command(train)
main.add_command(sample)

if __name__ == "__main__":
    main()
