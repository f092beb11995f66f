"""Train the ``blocks`` extraction engine's classifier and write ``webcorpus/stages/extract/block_model.json``.

Training pages: every page with gold text of the three sets in ``../shared/data/extract`` (the same pages
``benchmarks/extract_quality.py`` scores), all under licences that allow shipping weights learned from
them: scrapinghub-aeb (MIT), readability-testpages (Apache-2.0), newspaper-fulltext (MIT). Each block is
labelled by aligning it to the page's gold text (``model.label_blocks``). The fit is Newton's method, no
randomness: running this script again gives the same file, byte for byte (``tests/stages/test_extract.py``
checks it).

    python benchmarks/train_extract_model.py            # writes the shipped model
    python benchmarks/train_extract_model.py --check    # exits 1 when the shipped model differs

The quality figure to quote is not this model's score on its own training pages but the
leave-one-dataset-out one: ``python benchmarks/extract_quality.py --lodo``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from extract_quality import DATASETS, decode, load_pages  # noqa: E402
from webcorpus.stages.extract.model import MODEL_PATH, fit_pages, training_rows  # noqa: E402

#: The sets whose licence allows shipping weights trained on them (see each set's SOURCE.md).
LICENSED = {"scrapinghub-aeb": "MIT", "readability-testpages": "Apache-2.0", "newspaper-fulltext": "MIT"}
L2 = 1.0


def train(datasets: tuple[str, ...] = tuple(LICENSED)) -> str:
    """The model's JSON, trained on every page of ``datasets``."""
    assert all(name in LICENSED for name in datasets), "only permissively licensed sets go into shipped weights"
    rows = [training_rows(decode(page.html), page.truth, page.dataset) for page in load_pages(datasets)]
    return fit_pages(rows, l2=L2).to_json()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped model instead of writing it")
    parser.add_argument("--output", type=Path, default=MODEL_PATH)
    args = parser.parse_args(argv)
    assert set(LICENSED) == set(DATASETS)
    text = train()
    if args.check:
        same = args.output.exists() and args.output.read_text(encoding="utf-8") == text
        print("shipped model is reproduced byte for byte" if same else "shipped model differs from a fresh training")
        return 0 if same else 1
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {args.output} ({len(text)} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
