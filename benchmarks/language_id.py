"""Language-ID accuracy on lingua's test data: lid.176.ftz called directly vs the ``language`` stage.

Data: ../shared/data/lid/lingua-testdata (75 languages; sentences, word pairs and
single words, one item per line, label = folder name, ISO 639-1).

Four sets are scored:

* ``sentences``, ``word-pairs``, ``single-words``: every line of each file.
* ``paragraphs``: held-out paragraphs made by joining 5 consecutive sentences of
  one language, taken only from the second half of each language's
  ``sentences.txt`` (the first half is the dev split that any tuning of the stage
  may look at; the stage's defaults were chosen on dev paragraphs only).

"direct" is ``model.predict`` on the text with newlines replaced, its label
compared as is (lid.176 says ``no`` where lingua says ``nb``). "stage" is
:class:`webcorpus.stages.language.LanguageId` with its defaults. Accuracy is
reported over all 75 languages and over the 67 the model can name (lg, mi, sn,
st, tn, ts, xh, zu have no lid.176 label, so no lid.176-based method can get
them right).

    python benchmarks/language_id.py [--data DIR] [--limit N]
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from webcorpus.stages.language import LanguageId, default_model_path  # noqa: E402

DEFAULT_DATA = ROOT / ".." / "shared" / "data" / "lid" / "lingua-testdata"
PARAGRAPH_SENTENCES = 5


def load_sets(data: Path, limit: int | None) -> dict[str, list[tuple[str, str]]]:
    sets: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
    for folder in sorted(p for p in data.iterdir() if (p / "testdata").is_dir()):
        lang = folder.name
        for kind in ("sentences", "word-pairs", "single-words"):
            lines = [line.strip() for line in (folder / "testdata" / f"{kind}.txt").read_text("utf-8").splitlines()]
            lines = [line for line in lines if line]
            if kind == "sentences":
                held_out = lines[len(lines) // 2 :]
                for i in range(0, len(held_out) - PARAGRAPH_SENTENCES + 1, PARAGRAPH_SENTENCES):
                    sets["paragraphs"].append((lang, " ".join(held_out[i : i + PARAGRAPH_SENTENCES])))
            sets[kind].extend((lang, line) for line in lines[:limit])
    return sets


def score(items, predicted, coverable) -> tuple[float, float]:
    hits = [truth == guess for (truth, _), guess in zip(items, predicted)]
    covered = [hit for (truth, _), hit in zip(items, hits) if truth in coverable]
    return sum(hits) / len(hits), sum(covered) / max(1, len(covered))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="items per language and file (default: all)")
    args = parser.parse_args()

    stage = LanguageId()
    stage.setup()
    model = stage._model
    coverable = set(stage._code.values())
    sets = load_sets(args.data, args.limit)
    print(f"{'set':<14}{'items':>7}  {'direct all':>10} {'stage all':>10}  {'direct 67':>10} {'stage 67':>10}  {'stage docs/s':>12}")
    for name in ("sentences", "word-pairs", "single-words", "paragraphs"):
        items = sets[name]
        texts = [text for _, text in items]
        labels, _ = model.predict([t.replace("\n", " ") for t in texts])
        direct = [label[0].removeprefix("__label__") for label in labels]
        start = time.perf_counter()
        ours, _ = stage.identify(texts)
        rate = len(texts) / (time.perf_counter() - start)
        d_all, d_cov = score(items, direct, coverable)
        s_all, s_cov = score(items, ours, coverable)
        print(f"{name:<14}{len(items):>7}  {d_all:>10.4f} {s_all:>10.4f}  {d_cov:>10.4f} {s_cov:>10.4f}  {rate:>12,.0f}")
    print(f"model: {default_model_path()}")


if __name__ == "__main__":
    main()
