"""The ``train_tokenizer`` stage: a sentencepiece BPE model trained on a sample of the corpus.

Defaults give a byte-exact round trip, ``decode(encode(text)) == text``:

* ``normalization: identity`` (no NFKC folding: "ﬁ" stays "ﬁ", full-width
  digits stay full-width), whitespace kept as it is (no collapsing of runs);
* no dummy prefix: sentencepiece would otherwise prepend a space to every
  text, so the first word of a document would decode with a space in front;
* byte fallback: any character outside the vocabulary becomes its UTF-8 bytes
  (``<0x..>`` pieces, 256 of the vocabulary's ids), never ``<unk>``.

Newlines are not in sentencepiece's training lines (it reads one sentence per
line), so "\\n" is encoded as its byte piece ``<0x0A>``: one token.

Output, OUTPUT/tokenizer/: ``tokenizer.model``, ``tokenizer.vocab`` (piece and
score per line, in id order) and ``card.json`` (see docs/tokenizer.md).
"""
from __future__ import annotations

import json
from collections import Counter
import os
import shutil
import time
from pathlib import Path
from typing import Annotated, Literal

from webcorpus import numbers
from webcorpus.ledger import digest, input_identity
from webcorpus.stages.base import OptionError
from webcorpus.stages.global_stage import GlobalContext, GlobalStage

Normalization = Literal["identity", "nfkc", "nmt_nfkc", "nfkc_cf", "nmt_nfkc_cf"]
MAX_SENTENCE_BYTES = 16384
MODEL = "tokenizer.model"
VOCAB = "tokenizer.vocab"
TOKENIZER_DIR = "tokenizer"  # OUTPUT/tokenizer/: the model, its vocabulary and card.json
CARD = "card.json"


class TrainTokenizer(GlobalStage):
    """Train a sentencepiece BPE tokenizer (byte fallback) on a deterministic sample of the documents.

    Writes OUTPUT/tokenizer/tokenizer.model, tokenizer.vocab and card.json
    (vocabulary size, special token ids, sample size, bytes per token on held-out
    documents, training time). Documents pass through unchanged.
    """

    name = "train_tokenizer"
    run_folders = ("tokenizer",)
    requires = {"sentencepiece": "sentencepiece", "google.protobuf": "protobuf"}  # protobuf: the model's proto

    def __init__(
        self,
        vocab_size: Annotated[int, "pieces in the vocabulary, special and 256 byte pieces included"] = 32768,
        sample_bytes: Annotated[int, "UTF-8 bytes of text to train on (a deterministic sample by id hash)"] = 100_000_000,
        heldout_bytes: Annotated[int, "bytes of held-out documents to measure bytes per token on"] = 5_000_000,
        separator: Annotated[str, "document separator token, put before every document by tokenize"] = "<|endoftext|>",
        bos: Annotated[str | None, "beginning-of-sequence token (null: none)"] = "<s>",
        eos: Annotated[str | None, "end-of-sequence token (null: none)"] = "</s>",
        pad: Annotated[str | None, "padding token (null: none)"] = "<pad>",
        split_digits: Annotated[bool, "every digit its own token (as Llama and PaLM do)"] = True,
        normalization: Annotated[Normalization, "sentencepiece normalisation rule; identity keeps text byte-exact"] = "identity",
        character_coverage: Annotated[float, "share of characters given their own piece; the rest fall back to bytes"] = 0.9995,
        seed: Annotated[int, "salt of the sample's id hash"] = 0,
        threads: Annotated[int | None, "training threads; default: the run's workers"] = None,
    ):
        self.vocab_size = vocab_size
        self.sample_bytes = sample_bytes
        self.heldout_bytes = heldout_bytes
        self.separator = separator
        self.bos = bos
        self.eos = eos
        self.pad = pad
        self.split_digits = split_digits
        self.normalization = normalization
        self.character_coverage = character_coverage
        self.seed = seed
        self.threads = threads
        specials = [p for p in (separator, bos, eos, pad) if p is not None]
        if not 256 + len(specials) + 1 < vocab_size:
            raise OptionError("vocab_size", f"vocab_size must exceed the 256 byte pieces and the special tokens, got {vocab_size}")
        if sample_bytes < 1 or heldout_bytes < 0:
            raise OptionError("sample_bytes", "sample_bytes must be positive and heldout_bytes not negative")
        if not 0 < character_coverage <= 1:
            raise OptionError("character_coverage", f"character_coverage must be in (0, 1], got {character_coverage}")
        for option, piece in (("separator", separator), ("bos", bos), ("eos", eos), ("pad", pad)):
            if piece is not None and (not piece or any(c.isspace() for c in piece)):
                raise OptionError(option, f"{option} must be a non-empty token without spaces, got {piece!r}")
        if len(set(p for p in (bos, eos, pad) if p is not None)) != len([p for p in (bos, eos, pad) if p is not None]):
            raise OptionError("bos", "bos, eos and pad must differ")
        if threads is not None and threads < 1:
            raise OptionError("threads", "threads must be at least 1")

    @staticmethod
    def card_path(run_dir: str | Path) -> Path:
        """Where this stage leaves the card of the tokenizer it trained (``tokenize`` reads it there)."""
        return Path(run_dir) / TOKENIZER_DIR / CARD

    def run(self, ctx: GlobalContext) -> None:
        from webcorpus.tokenizer.training_sample import thresholds, write_shard_sample

        card_path = self.card_path(ctx.run_dir)
        out = card_path.parent
        # Names and sizes, not full paths or times: the same run in another folder or executor has the same key.
        key = digest({k: v for k, v in self.options().items() if k != "threads"}, [input_identity(p, portable=True) for p in ctx.inputs])
        if card_path.is_file() and ctx.ledger.read(self.name, expect={"key": key}) is not None:
            ctx.stats.counters["resumed"] += 1
            return None

        scratch = Path(ctx.work_dir) / "train_tokenizer" / key
        shutil.rmtree(scratch, ignore_errors=True)
        scratch.mkdir(parents=True)
        salt = f"sample{self.seed}"
        limits = thresholds(lambda fn, items: ctx.phase_map("train_tokenizer: sizing the sample", fn, items),
                            list(ctx.inputs), salt, self.sample_bytes, self.heldout_bytes)
        jobs = [(p, salt, limits, str(scratch / f"{i:05d}"), MAX_SENTENCE_BYTES) for i, p in enumerate(ctx.inputs)]
        written = ctx.phase_map("train_tokenizer: writing the sample", write_shard_sample, jobs)
        train_files = [w[0] for w in written if w[1] > 0]
        sample_bytes = sum(w[1] for w in written)
        if not train_files:
            raise ValueError("train_tokenizer: no document has text; nothing to train on")

        building = Path(ctx.run_dir) / ".tokenizer.building"
        shutil.rmtree(building, ignore_errors=True)
        building.mkdir(parents=True)
        self._check_alphabet(train_files)  # before training: a vocabulary too small fails there only at the end
        start = time.perf_counter()
        with ctx.timer(f"train_tokenizer: training sentencepiece on {numbers.size(sample_bytes)}"):
            self._train(train_files, building / "tokenizer", self.threads or max(1, ctx.workers))
        seconds = time.perf_counter() - start
        _drop_machine_details(building / MODEL)

        card = self._card(building / MODEL, written, sample_bytes, seconds, key)
        (building / CARD).write_text(json.dumps(card, indent=2) + "\n")
        shutil.rmtree(out, ignore_errors=True)
        os.replace(building, out)
        shutil.rmtree(scratch, ignore_errors=True)
        ctx.ledger.commit(self.name, {"key": key})
        ctx.stats.counters["sample_bytes"] += sample_bytes
        ctx.stats.counters["vocab_size"] += card["vocab_size"]
        return None

    def _meta_pieces(self) -> int:
        """Pieces sentencepiece reserves before any character: unk, bos/eos/pad, the separator, 256 bytes."""
        control = 0 if self.separator in (self.bos, self.eos, self.pad) else 1
        return 1 + sum(p is not None for p in (self.bos, self.eos, self.pad)) + control + 256

    def _check_alphabet(self, files: list[str]) -> None:
        """Raise OptionError('vocab_size') when the sample's characters (those within ``character_coverage``,
        counted as sentencepiece counts them: a space as U+2581) and the reserved pieces do not fit."""
        needed = {cover: chars + self._meta_pieces() for cover, chars in required_characters(files, (self.character_coverage, 0.98)).items()}
        if needed[self.character_coverage] <= self.vocab_size:
            return
        hint = ""
        if self.character_coverage > 0.98 and needed[0.98] <= self.vocab_size:
            hint = f", or lower character_coverage to 0.98 (then {needed[0.98]:,} are needed)"
        raise OptionError(
            "vocab_size",
            f"vocab_size {self.vocab_size:,} is too small for the sample's alphabet: its characters within "
            f"character_coverage {self.character_coverage} need {needed[self.character_coverage] - self._meta_pieces():,} pieces, "
            f"plus {self._meta_pieces()} reserved (256 bytes, unk, special tokens): raise vocab_size to at least "
            f"{needed[self.character_coverage]:,}{hint}",
        )

    def _train(self, files: list[str], prefix: Path, threads: int) -> None:
        import sentencepiece as spm

        ids = {"unk": 0}
        for role in ("bos", "eos", "pad"):
            ids[role] = len(ids) if getattr(self, role) is not None else -1
        control = [] if self.separator in (self.bos, self.eos, self.pad) else [self.separator]
        try:
            spm.SentencePieceTrainer.train(
                input=files,
                model_prefix=str(prefix),
                model_type="bpe",
                vocab_size=self.vocab_size,
                byte_fallback=True,
                character_coverage=self.character_coverage,
                normalization_rule_name=self.normalization,
                add_dummy_prefix=False,
                remove_extra_whitespaces=False,
                allow_whitespace_only_pieces=True,
                split_digits=self.split_digits,
                unk_id=ids["unk"], bos_id=ids["bos"], eos_id=ids["eos"], pad_id=ids["pad"],
                bos_piece=self.bos or "<s>", eos_piece=self.eos or "</s>", pad_piece=self.pad or "<pad>",
                control_symbols=control,
                input_sentence_size=0,  # the sample is already bounded; train on all of it
                max_sentence_length=MAX_SENTENCE_BYTES,
                num_threads=threads,
                minloglevel=2,
            )
        except RuntimeError as exc:
            if "required_chars" in str(exc):  # the alphabet check above should have caught it
                raise OptionError("vocab_size", f"vocab_size {self.vocab_size:,} is smaller than the sample's alphabet needs: {exc}") from None
            raise RuntimeError(
                f"train_tokenizer: sentencepiece could not build {self.vocab_size} pieces from the "
                f"{sum(os.path.getsize(f) for f in files):,}-byte sample: {exc}"
            ) from exc

    def _card(self, model: Path, written: list, sample_bytes: int, seconds: float, key: str) -> dict:
        from webcorpus.tokenizer.loaded import SentencePieceTokenizer
        from webcorpus.tokenizer.training_sample import read_heldout

        tokenizer = SentencePieceTokenizer(model)
        sp = tokenizer._sp
        special = {"unk": sp.id_to_piece(sp.unk_id())}
        special.update({role: getattr(self, role) for role in ("bos", "eos", "pad") if getattr(self, role) is not None})
        special["separator"] = self.separator
        special_ids = {role: {"piece": piece, "id": sp.piece_to_id(piece)} for role, piece in special.items()}
        heldout = [doc for w in written if w[3] > 0 for doc in read_heldout(w[2])]
        heldout_bytes = sum(len(d.encode("utf-8")) for d in heldout)
        encoded = tokenizer.encode_batch(heldout, threads=max(1, self.threads or 1)) if heldout else []
        heldout_tokens = sum(map(len, encoded))
        mismatches = sum(tokenizer.decode(ids) != doc for ids, doc in zip(encoded, heldout))
        return {
            "vocab_size": tokenizer.vocab_size,
            "type": "sentencepiece-bpe",
            "model": MODEL,
            "vocab": VOCAB,
            "special_tokens": special_ids,
            "eot_token": special_ids["separator"]["id"],
            **{f"{role}_id": v["id"] for role, v in special_ids.items() if role != "separator"},
            "byte_fallback": True,
            "normalization": self.normalization,
            "add_dummy_prefix": False,
            "split_digits": self.split_digits,
            "sample": {"bytes": sample_bytes, "requested_bytes": self.sample_bytes, "seed": self.seed},
            "heldout": {
                "documents": len(heldout),
                "bytes": heldout_bytes,
                "tokens": heldout_tokens,
                "round_trip_mismatches": mismatches,
            },
            "bytes_per_token": round(heldout_bytes / heldout_tokens, 4) if heldout_tokens else None,
            "training_seconds": round(seconds, 3),
            "options": self.options(),
            "key": key,
        }



def required_characters(files: list[str], coverages: tuple[float, ...]) -> dict[float, int]:
    """For each coverage, how many distinct characters sentencepiece gives a piece of their own: the
    most frequent first, added while the share covered so far is below the coverage (its rule)."""
    counts: Counter = Counter()
    for path in files:
        with open(path, encoding="utf-8", errors="surrogatepass") as handle:
            while chunk := handle.read(1 << 24):
                counts.update(chunk)
    counts.pop("\n", None)  # line ends separate sentences; they are not characters of the text
    if " " in counts:  # sentencepiece writes a space as U+2581
        counts["\u2581"] += counts.pop(" ")
    total = sum(counts.values()) or 1
    frequencies = [n for _, n in counts.most_common()]
    needed = {}
    for coverage in coverages:
        covered = chars = 0
        for n in frequencies:
            if covered / total >= coverage:
                break
            covered += n
            chars += 1
        needed[coverage] = chars
    return needed


def _drop_machine_details(model: Path) -> None:
    """Remove the scratch paths and thread count sentencepiece records in the model, so that the same
    sample gives the same model file whatever the folder, worker count or executor."""
    from sentencepiece import sentencepiece_model_pb2

    proto = sentencepiece_model_pb2.ModelProto()
    proto.ParseFromString(model.read_bytes())
    del proto.trainer_spec.input[:]
    proto.trainer_spec.model_prefix = "tokenizer"
    proto.trainer_spec.num_threads = 1
    model.write_bytes(proto.SerializeToString())
