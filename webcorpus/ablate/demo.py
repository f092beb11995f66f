"""The demo's second corpus: the same pipeline with the quality filters taken out.

``webcorpus demo`` runs the main pipeline, then this variant on the same crawl, then an ablation
of the two with tiny models, so the report shows what the quality filters are worth. Tokenizer
training and token shards are left out of the variant: the ablation tokenizes both corpora with
its own shared tokenizer.
"""
from __future__ import annotations

from pathlib import Path

import yaml

#: The quality heuristics of pipelines/main.yaml (Gopher, C4, FineWeb); language ID and dedup stay.
QUALITY_STAGES = ("gopher_repetition", "gopher_quality", "c4", "fineweb_quality")
TOKEN_STAGES = ("train_tokenizer", "tokenize")


def without_quality_filters(pipeline: str | Path, out_file: str | Path, settings: dict | None = None) -> Path:
    """Write ``pipeline`` without its quality filters (and token stages) to ``out_file``; ``settings``
    (input, output, workers) replace the file's, so that it names what was run."""
    data = yaml.safe_load(Path(pipeline).read_text()) or {}
    data.update(settings or {})
    stages = []
    for item in data.get("stages") or []:
        name = item if isinstance(item, str) else next(iter(item))
        if name not in QUALITY_STAGES + TOKEN_STAGES:
            stages.append(item)
    data["stages"] = stages
    out_file = Path(out_file)
    out_file.parent.mkdir(parents=True, exist_ok=True)
    out_file.write_text(f"# {Path(pipeline).name} without {', '.join(QUALITY_STAGES)} (written by webcorpus demo)\n"
                        + yaml.safe_dump(data, sort_keys=False))
    return out_file


def demo_ablation_config(filtered: Path, unfiltered: Path, out: Path, steps: int):
    """Tiny models on the CPU: enough to see whether the filtered corpus gives the lower shared loss."""
    from webcorpus.ablate.config import AblationConfig, Corpus

    return AblationConfig(
        corpora=[Corpus("quality-filtered", str(filtered)), Corpus("no-quality-filters", str(unfiltered))],
        out=str(out), vocab_size=2048, tokenizer_sample_bytes=2_000_000, val_fraction=0.15,
        preset="tiny", train={"steps": steps, "eval_every": max(steps // 8, 1), "checkpoint_every": steps},
        device="cpu", threads=1,  # a tiny model gains nothing from threads; spinning ones slow a shared machine
    )
