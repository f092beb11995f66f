"""hf_classifier with real Hugging Face models the test makes: a small BERT, a WordPiece tokenizer trained by
`tokenizers` on real articles (../shared/data/extract/scrapinghub-aeb), saved as a model folder like
FineWeb-Edu's classifier (a regression head) and as a two-label classifier; real articles are scored."""
from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pytest.importorskip("transformers", reason="the hf extra is not installed")
torch = pytest.importorskip("torch", reason="the train extra is not installed")

from transformers import AutoModelForSequenceClassification, AutoTokenizer  # noqa: E402

from webcorpus import Pipeline, build_stage  # noqa: E402
from webcorpus.stages.base import OptionError  # noqa: E402

from tests.conftest import REPO  # noqa: E402

MAX_POSITIONS = 128


def articles(shared_data: Path) -> list[str]:
    truth = json.loads((shared_data / "extract" / "scrapinghub-aeb" / "ground-truth.json").read_text())
    return [entry["articleBody"] for _, entry in sorted(truth.items())]


def save_model(folder: Path, texts: list[str], labels: list[str] | None) -> Path:
    """A BERT sequence classifier with random weights (seeded) and a WordPiece tokenizer trained on ``texts``."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertForSequenceClassification, PreTrainedTokenizerFast

    wordpiece = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    wordpiece.normalizer = normalizers.BertNormalizer(lowercase=True)
    wordpiece.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    wordpiece.train_from_iterator(texts, trainers.WordPieceTrainer(vocab_size=1000, special_tokens=special))
    cls, sep = wordpiece.token_to_id("[CLS]"), wordpiece.token_to_id("[SEP]")
    wordpiece.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B [SEP]", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    wordpiece.decoder = decoders.WordPiece()
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=wordpiece, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
                                        sep_token="[SEP]", mask_token="[MASK]", model_max_length=MAX_POSITIONS)
    head = {"num_labels": 1, "problem_type": "regression"} if labels is None else {
        "num_labels": len(labels), "id2label": dict(enumerate(labels)), "label2id": {name: i for i, name in enumerate(labels)}}
    config = BertConfig(vocab_size=wordpiece.get_vocab_size(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=MAX_POSITIONS, **head)
    torch.manual_seed(0)
    BertForSequenceClassification(config).eval().save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def texts(shared_data) -> list[str]:
    return articles(shared_data)


@pytest.fixture(scope="module")
def models(tmp_path_factory, texts) -> dict[str, Path]:
    """"regression" (FineWeb-Edu's form) and "labels" (low/high); tokenizers trained on the first 100 articles."""
    root = tmp_path_factory.mktemp("hf-models")
    return {"regression": save_model(root / "regression", texts[:100], None),
            "labels": save_model(root / "labels", texts[:100], ["low", "high"])}


def batch_of(texts: list[str | None]) -> pa.Table:
    return pa.table({"id": [f"doc-{i}" for i in range(len(texts))], "text": pa.array(texts, pa.string())})


def direct_score(folder: Path, text: str, max_length: int, index: int | None = None) -> float:
    """The model run by hand on one text, as its own documentation does."""
    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = AutoModelForSequenceClassification.from_pretrained(folder).eval()
    with torch.inference_mode():
        logits = model(**tokenizer(text, truncation=True, max_length=max_length, return_tensors="pt")).logits
    return float(logits[0, 0] if index is None else torch.softmax(logits, -1)[0, index])


def test_a_regression_head_scores_every_article_as_the_model_does(models, texts):
    held_out = texts[100:140]  # articles the tokenizer was not trained on
    stage = build_stage("hf_classifier", {"model": str(models["regression"]), "batch_size": 8})
    out = stage(batch_of(held_out))
    assert out.num_rows == len(held_out) and out.schema.field("hf_score").type == pa.float32()
    scores = out.column("hf_score").to_pylist()
    tokenizer = AutoTokenizer.from_pretrained(models["regression"])
    assert sum(len(tokenizer(t)["input_ids"]) > MAX_POSITIONS for t in held_out) > 10  # truncation is exercised
    for text, score in list(zip(held_out, scores))[::5]:
        assert score == pytest.approx(direct_score(models["regression"], text, MAX_POSITIONS), abs=1e-5)
    assert len(set(scores)) == len(scores)  # a score per document, not a constant
    assert stage.stats.signals["hf_score"].counts and sum(stage.stats.signals["hf_score"].counts) == len(held_out)


def test_a_rerun_gives_the_same_scores(models, texts):
    options = {"model": str(models["regression"]), "batch_size": 4}
    first = build_stage("hf_classifier", options)(batch_of(texts[100:120])).column("hf_score")
    again = build_stage("hf_classifier", options)(batch_of(texts[100:120])).column("hf_score")
    assert first.equals(again)


def test_only_the_start_of_a_document_is_read(models, texts):
    long = max(texts, key=len)
    stage = build_stage("hf_classifier", {"model": str(models["regression"]), "max_length": 32, "batch_size": 1})
    cut, padded = stage.scores([long, long + " " + " ".join(texts[:3])])
    assert cut == padded  # what lies past the first 32 tokens changes nothing
    whole = build_stage("hf_classifier", {"model": str(models["regression"]), "batch_size": 1}).scores([long])[0]
    assert whole != cut and whole == pytest.approx(direct_score(models["regression"], long, MAX_POSITIONS), abs=1e-5)


def test_a_classification_head_gives_the_probability_of_the_named_label(models, texts):
    sample = texts[140:160]
    high = build_stage("hf_classifier", {"model": str(models["labels"]), "label": "high", "column": "edu"})
    low = build_stage("hf_classifier", {"model": str(models["labels"]), "label": "low", "column": "edu"})
    high_scores, low_scores = high.scores(sample), low.scores(sample)
    assert all(0.0 <= s <= 1.0 for s in high_scores)
    assert all(math.isclose(h + lo, 1.0, abs_tol=1e-6) for h, lo in zip(high_scores, low_scores))
    assert high_scores[0] == pytest.approx(direct_score(models["labels"], sample[0], MAX_POSITIONS, index=1), abs=1e-6)
    assert "edu" in high(batch_of(sample)).column_names


def test_min_score_drops_below_it_and_documents_without_text_are_counted(models, texts):
    sample = texts[100:160]
    scores = sorted(build_stage("hf_classifier", {"model": str(models["regression"])}).scores(sample))
    threshold = scores[len(scores) // 2]
    stage = build_stage("hf_classifier", {"model": str(models["regression"]), "min_score": threshold})
    output = stage.apply(batch_of(sample + ["", None]))
    assert output.kept.num_rows == len(scores) - len(scores) // 2
    assert min(output.kept.column("hf_score").to_pylist()) >= threshold
    reasons = output.dropped.column("drop_reason").to_pylist()
    assert reasons.count("hf_classifier:low_score") == len(scores) // 2 and reasons.count("hf_classifier:no_text") == 2
    assert stage.stats.counters["no_text"] == 2

    keep_all = build_stage("hf_classifier", {"model": str(models["regression"])})
    kept = keep_all(batch_of(["", texts[101]]))
    assert kept.column("hf_score").to_pylist()[0] is None and kept.num_rows == 2
    assert keep_all.stats.counters["no_text"] == 1


def test_a_pipeline_scores_identically_with_one_or_two_workers(tmp_path, models, texts):
    inputs = []
    for part in range(3):
        path = tmp_path / f"articles-{part}.jsonl"
        rows = texts[100 + 20 * part: 120 + 20 * part]
        path.write_text("".join(json.dumps({"text": t, "url": f"https://example.com/{part}/{i}"}) + "\n" for i, t in enumerate(rows)))
        inputs.append(str(path))
    stages = lambda: [build_stage("hf_classifier", {"model": str(models["regression"]), "min_score": -10.0})]  # noqa: E731
    runs = [Pipeline(stages(), input=inputs, output=tmp_path / f"w{workers}", workers=workers).run(quiet=True) for workers in (1, 2)]
    assert [r.exit_code for r in runs] == [0, 0]
    tables = [pq.ParquetDataset(r.documents).read().sort_by("id") for r in runs]
    assert tables[0].num_rows == 60 and tables[0].column("hf_score").equals(tables[1].column("hf_score"))
    assert runs[0].stats["stages"][0]["signals"]["hf_score"]["counts"] == runs[1].stats["stages"][0]["signals"]["hf_score"]["counts"]


def test_a_bad_model_folder_stops_the_run_before_any_work(tmp_path, models, shared_data):
    not_classifier = tmp_path / "encoder"
    not_classifier.mkdir()
    (not_classifier / "config.json").write_text(json.dumps({"architectures": ["BertModel"], "model_type": "bert"}))
    no_tokenizer = tmp_path / "no-tokenizer"
    no_tokenizer.mkdir()
    for name in ("config.json", "model.safetensors"):
        (no_tokenizer / name).write_bytes((models["regression"] / name).read_bytes())
    bad = [
        {"model": str(tmp_path / "missing")},
        {"model": str(tmp_path)},  # a folder, but no config.json
        {"model": str(not_classifier)},
        {"model": str(no_tokenizer)},
        {"model": str(models["labels"]), "label": "hihg"},
        {"model": str(models["labels"])},
        {"model": str(models["regression"]), "label": "high"},
        {"model": str(models["regression"]), "max_length": 4096},
    ]
    pipeline = tmp_path / "bad.yaml"
    pipeline.write_text("stages:\n" + "".join(f"  - hf_classifier: {json.dumps(options)}\n" for options in bad))
    output = tmp_path / "out"
    crawl = shared_data / "warc" / "resiliparse-tests" / "warcfile.warc.gz"
    done = subprocess.run([sys.executable, "-m", "webcorpus", "run", str(pipeline), "--input", str(crawl), "--output", str(output)],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if "'hf_classifier'" in line]
    assert len(lines) == len(bad), done.stderr
    expected = ["is not a folder", "has no config.json", "is not a sequence-classification model (architectures: BertModel)",
                "has no tokenizer", "has no label 'hihg' (did you mean 'high'?)", "name the label whose probability is the score",
                "regression head", "max_length must lie in [2, 128]"]
    for line, words in zip(lines, expected):
        assert words in line, (words, line)
    assert not output.exists() or not (output / "documents").exists()


def test_device_cuda_without_a_gpu_is_refused(models):
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(OptionError, match="device: cuda, but torch finds no CUDA GPU"):
        build_stage("hf_classifier", {"model": str(models["regression"]), "device": "cuda"})
