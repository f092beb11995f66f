"""The contract every language identifier of the ``language`` stage fulfils."""
from __future__ import annotations

#: One engine answer: (code, score) pairs, best first. Codes are the stage's codes (see ``codes.py``).
Ranking = list[tuple[str, float]]


class Engine:
    """A language identifier: a fixed set of codes it can write, and a ranking per text.

    ``codes()`` must be cheap (it runs when a pipeline is validated, before any
    model loads); ``load()`` loads the model once per worker process; ``rank()``
    takes one line of text (whitespace already collapsed, never empty) and
    returns up to ``k`` codes with scores in [0, 1], best first (an empty list
    when the engine names no language).
    """

    name = ""

    def codes(self) -> frozenset[str]:
        raise NotImplementedError

    def load(self) -> None:
        raise NotImplementedError

    def rank(self, line: str, k: int) -> Ranking:
        raise NotImplementedError
