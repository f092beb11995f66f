"""Seeing a run: one self-contained HTML report of an OUTPUT folder, and `inspect` for shards in the terminal.

    from webcorpus.report import write_report
    write_report("out/")                       # -> out/report.html
    write_report("out/", train_dir="runs/a")   # with the training and validation loss
    write_report("out/", ablation_dir="abl/")  # with an ablation's table and loss curves
"""
from __future__ import annotations

from pathlib import Path


def write_report(output_dir, train_dir=None, out_file=None, ablation_dir=None) -> Path:
    """Write the report of the run in ``output_dir`` (default file: OUTPUT/report.html) and return its path.

    ``train_dir``: a ``webcorpus train`` run folder; ``ablation_dir``: a ``webcorpus ablate`` folder."""
    from webcorpus.report.data import gather
    from webcorpus.report.html import render

    path = Path(out_file) if out_file else Path(output_dir) / "report.html"
    page = render(gather(output_dir, train_dir, ablation_dir))
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(page, encoding="utf-8")
    tmp.replace(path)
    return path


#: what the report reads of a run on object storage (token shards are described by their manifest alone)
REPORT_READS = ("stats.json", "documents", "excluded", "dedup", "dedup_paragraphs", "quality_classifier",
                "tokenizer/card.json", "tokens/manifest.json")


def write_run_report(url: str) -> str:
    """The report of a run on object storage, put beside it (``URL/report.html``); where it was put.

    The report reads documents, so it is made where this runs: what it reads (``REPORT_READS``) is pulled
    into a temporary folder, removed when the report is put."""
    import tempfile

    from webcorpus.storage.mirror import Mirror
    from webcorpus.storage.store import ObjectStore

    store = ObjectStore(url)
    with tempfile.TemporaryDirectory(prefix="webcorpus-report-") as scratch:
        Mirror(store, scratch).pull(list(REPORT_READS))
        path = write_report(scratch)
        store.put_file(path, "report.html")
    return store.url_of("report.html")


__all__ = ["write_report", "write_run_report"]
