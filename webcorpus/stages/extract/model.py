"""The block classifier: which blocks of a page are its main content (two logistic regressions in numpy).

Stage one scores each block from its own features (:data:`blocks.FEATURES`). Stage two sees the same
features plus stage one's scores of the three blocks before and after it and the page's share of
content tokens by stage one (:data:`NEIGHBOURS`): a short heading or list item between two paragraphs of
an article is content, the same line among link lists is not (the smoothing boilerpipe and Web2Text do).

Training data are pages with gold text: each block is labelled by aligning it to the gold text
(:func:`label_blocks`), weighted by its share of the page's tokens (the score is a token bag per page, so a
long paragraph matters more than a one-word link, and every page counts the same). Each stage is fitted by
Newton's method with an L2 penalty (:func:`fit`); stage two learns from stage-one scores of pages that
stage one did not see (one fold per training set), as it will meet them at run time. No randomness: the
same pages give the same weights. The fitted model is a JSON file (``block_model.json`` beside this file,
written by ``benchmarks/train_extract_model.py``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from webcorpus.stages.extract.blocks import FEATURES, Block, feature_matrix
from webcorpus.stages.extract.text import lower_tokens

MODEL_PATH = Path(__file__).with_name("block_model.json")
_OFFSETS = (-3, -2, -1, 1, 2, 3)
#: Stage two's extra columns: stage one's score of the block and of its neighbours, the page's content share.
NEIGHBOURS = ("p", *[f"p@{o:+d}" for o in _OFFSETS], "page_content_share")


def _rounded(values) -> list[float]:
    # 10 significant digits: the last bits of a machine's floating-point arithmetic do not change the file.
    return [float(f"{v:.10g}") for v in values]


@dataclass
class Logistic:
    """Standardise, then ``p = sigmoid(w · (x - mean) / scale + b)``."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def as_dict(self) -> dict:
        return {"bias": _rounded([self.bias])[0], "mean": _rounded(self.mean), "scale": _rounded(self.scale),
                "weights": _rounded(self.weights)}

    @classmethod
    def from_dict(cls, data: dict) -> "Logistic":
        return cls(np.array(data["mean"]), np.array(data["scale"]), np.array(data["weights"]), float(data["bias"]))


def with_neighbours(x: np.ndarray, p: np.ndarray, tokens: np.ndarray) -> np.ndarray:
    """Stage two's input: ``x`` and the :data:`NEIGHBOURS` columns from stage-one scores ``p``."""
    count = len(p)
    columns = [p]
    for offset in _OFFSETS:
        shifted = np.zeros(count)
        if offset < 0:
            shifted[-offset:] = p[:offset]
        else:
            shifted[:-offset] = p[offset:]
        columns.append(shifted)
    columns.append(np.full(count, (tokens * (p >= 0.5)).sum() / tokens.sum()))
    return np.hstack([x, np.column_stack(columns)])


@dataclass
class BlockModel:
    """The two stages and the decision threshold on stage two's probability."""

    first: Logistic
    second: Logistic
    threshold: float = 0.5

    def probabilities(self, x: np.ndarray, tokens: np.ndarray) -> np.ndarray:
        """P(content) per block, from the :func:`blocks.feature_matrix` ``x`` and the blocks' token counts."""
        return self.second.probabilities(with_neighbours(x, self.first.probabilities(x), tokens))

    def keep(self, blocks: list[Block], votes: list[bool]) -> list[bool]:
        """Which of a page's blocks are content."""
        tokens = np.array([b.tokens for b in blocks], dtype=np.float64)
        return (self.probabilities(feature_matrix(blocks, votes), tokens) >= self.threshold).tolist()

    def to_json(self) -> str:
        return json.dumps({
            "kind": "two-stage logistic regression over webcorpus.stages.extract.blocks.FEATURES",
            "features": list(FEATURES), "neighbours": list(NEIGHBOURS), "threshold": self.threshold,
            "first": self.first.as_dict(), "second": self.second.as_dict(),
        }, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "BlockModel":
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES or tuple(data["neighbours"]) != NEIGHBOURS:
            raise ValueError("block model was trained on other features than this code computes: retrain it "
                             "with benchmarks/train_extract_model.py")
        return cls(Logistic.from_dict(data["first"]), Logistic.from_dict(data["second"]), float(data["threshold"]))


def load(path: Path = MODEL_PATH) -> BlockModel:
    """The shipped model (or another JSON file written by :meth:`BlockModel.to_json`)."""
    return BlockModel.from_json(Path(path).read_text(encoding="utf-8"))


# --- training data -------------------------------------------------------------------------------


@dataclass
class PageRows:
    """One training page: its blocks' features, labels, weights and token counts, and its set's name."""

    x: np.ndarray
    labels: np.ndarray
    weights: np.ndarray
    tokens: np.ndarray
    group: str = ""


def training_rows(html: str, gold: str, group: str = "") -> PageRows:
    """Features, labels and weights of one page's blocks, exactly as the ``blocks`` engine sees them;
    ``group`` names the page's set (stage two is fitted on out-of-set stage-one scores)."""
    from webcorpus.stages.extract.blocks import blocks_of, resiliparse_votes
    from webcorpus.stages.extract.text import resiliparse_main_content

    blocks = blocks_of(html)
    raw = resiliparse_main_content(include_comments=False)(html)
    x = feature_matrix(blocks, resiliparse_votes(blocks, raw))
    tokens = np.array([b.tokens for b in blocks], dtype=np.float64)
    return PageRows(x, label_blocks(blocks, gold), page_weights(blocks), tokens, group)


def fit_pages(pages: list[PageRows], l2: float = 1.0) -> BlockModel:
    """Both stages from the :func:`training_rows` of many pages (pages without blocks are skipped).

    Stage two's inputs come from stage-one models fitted without the page's own set (one fold per
    group); with a single group, from the stage-one model itself.
    """
    pages = [page for page in pages if len(page.labels)]

    def stage_one(subset: list[PageRows]) -> Logistic:
        return fit(np.vstack([p.x for p in subset]), np.concatenate([p.labels for p in subset]),
                   np.concatenate([p.weights for p in subset]), l2=l2)

    first = stage_one(pages)
    groups = sorted({page.group for page in pages})
    folds = {g: stage_one([p for p in pages if p.group != g]) for g in groups} if len(groups) > 1 else {groups[0]: first}
    x2 = np.vstack([with_neighbours(p.x, folds[p.group].probabilities(p.x), p.tokens) for p in pages])
    second = fit(x2, np.concatenate([p.labels for p in pages]), np.concatenate([p.weights for p in pages]), l2=l2)
    return BlockModel(first, second)


# --- labels from gold text ------------------------------------------------------------------------


def label_blocks(blocks: list[Block], gold: str, n: int = 3) -> np.ndarray:
    """1.0 for blocks whose text is in the gold text, else 0.0.

    A block of ``n`` or more tokens is in the gold text when most of its token ``n``-grams occur there
    (robust to small differences of spacing and punctuation); a shorter one when its tokens occur there
    side by side (a one-word block whenever its word does: weighted by tokens, such blocks weigh little).
    """
    gold_tokens = lower_tokens(gold)
    grams = set(zip(*(gold_tokens[i:] for i in range(n))))
    joined = " " + " ".join(gold_tokens) + " "
    labels = np.zeros(len(blocks))
    for i, block in enumerate(blocks):
        tokens = lower_tokens(block.text)
        if len(tokens) >= n:
            own = list(zip(*(tokens[k:] for k in range(n))))
            labels[i] = float(sum(g in grams for g in own) >= 0.5 * len(own))
        elif tokens:
            labels[i] = float(" " + " ".join(tokens) + " " in joined)
    return labels


def page_weights(blocks: list[Block]) -> np.ndarray:
    """Each block's share of its page's tokens (a page sums to 1)."""
    tokens = np.array([b.tokens for b in blocks], dtype=np.float64)
    return tokens / tokens.sum() if len(tokens) else tokens


# --- fitting --------------------------------------------------------------------------------------


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1.0, iterations: int = 50) -> Logistic:
    """Weighted L2-penalised logistic regression by Newton's method (deterministic)."""
    mean = np.average(x, axis=0, weights=w)
    scale = np.sqrt(np.average((x - mean) ** 2, axis=0, weights=w))
    scale[scale < 1e-9] = 1.0
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    beta = np.zeros(z.shape[1])
    penalty = np.full(z.shape[1], l2)
    penalty[-1] = 0.0  # the bias is not penalised
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(z @ beta, -30, 30)))
        gradient = z.T @ (w * (p - y)) + penalty * beta
        hessian = (z * (w * p * (1 - p))[:, None]).T @ z + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        beta -= step
        if np.max(np.abs(step)) < 1e-10:
            break
    return Logistic(mean, scale, beta[:-1], float(beta[-1]))
