"""The block classifier: which blocks of a page are its main content (a logistic regression in numpy).

Training data are pages with gold text: each block is labelled by aligning it to the gold text
(:func:`label_blocks`), weighted by its share of the page's tokens (the score is a token bag per page, so a
long paragraph matters more than a one-word link, and every page counts the same), and the model is fitted
by Newton's method with an L2 penalty (:func:`fit`): no randomness, so the same pages give the same weights
bit for bit. The fitted model is a JSON file of feature names, means, scales and weights
(``block_model.json`` beside this file, written by ``benchmarks/train_extract_model.py``).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from webcorpus.stages.extract.blocks import FEATURES, Block, feature_matrix

MODEL_PATH = Path(__file__).with_name("block_model.json")

_UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_UNSPACED}]|[^\W_{_UNSPACED}]+")


@dataclass
class BlockModel:
    """Standardise, then a logistic regression: ``p(content) = sigmoid(w · (x - mean) / scale + b)``."""

    features: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float
    threshold: float = 0.5

    def probabilities(self, x: np.ndarray) -> np.ndarray:
        z = ((x - self.mean) / self.scale) @ self.weights + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))

    def keep(self, blocks: list[Block], votes: list[bool]) -> list[bool]:
        """Which of a page's blocks are content."""
        p = self.probabilities(feature_matrix(blocks, votes))
        return (p >= self.threshold).tolist()

    def to_json(self) -> str:
        """The model as JSON, numbers rounded to 10 significant digits (so that the last bits of a
        machine's floating-point arithmetic do not change the file)."""
        def rounded(values):
            return [float(f"{v:.10g}") for v in values]

        return json.dumps({
            "kind": "logistic-regression over webcorpus.stages.extract.blocks.FEATURES",
            "features": list(self.features), "threshold": self.threshold, "bias": rounded([self.bias])[0],
            "mean": rounded(self.mean), "scale": rounded(self.scale), "weights": rounded(self.weights),
        }, indent=1) + "\n"

    @classmethod
    def from_json(cls, text: str) -> "BlockModel":
        data = json.loads(text)
        if tuple(data["features"]) != FEATURES:
            raise ValueError("block model was trained on other features than blocks.FEATURES: retrain it "
                             "with benchmarks/train_extract_model.py")
        return cls(tuple(data["features"]), np.array(data["mean"]), np.array(data["scale"]),
                   np.array(data["weights"]), float(data["bias"]), float(data["threshold"]))


def load(path: Path = MODEL_PATH) -> BlockModel:
    """The shipped model (or another JSON file written by :meth:`BlockModel.to_json`)."""
    return BlockModel.from_json(Path(path).read_text(encoding="utf-8"))


# --- training data -------------------------------------------------------------------------------


def training_rows(html: str, gold: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features, labels and weights of one page's blocks, exactly as the ``blocks`` engine sees them."""
    from webcorpus.stages.extract.blocks import blocks_of
    from webcorpus.stages.extract.engines import resiliparse_main_content, resiliparse_votes

    blocks = blocks_of(html)
    raw = resiliparse_main_content(include_comments=False)(html)
    x = feature_matrix(blocks, resiliparse_votes(blocks, raw))
    return x, label_blocks(blocks, gold), page_weights(blocks)


def fit_pages(rows: list[tuple[np.ndarray, np.ndarray, np.ndarray]], l2: float = 1.0) -> "BlockModel":
    """Fit on the :func:`training_rows` of many pages (pages without blocks are skipped)."""
    rows = [r for r in rows if len(r[1])]
    return fit(np.vstack([r[0] for r in rows]), np.concatenate([r[1] for r in rows]),
               np.concatenate([r[2] for r in rows]), l2=l2)


# --- labels from gold text ------------------------------------------------------------------------


def _tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def label_blocks(blocks: list[Block], gold: str, n: int = 3) -> np.ndarray:
    """1.0 for blocks whose text is in the gold text, else 0.0.

    A block of ``n`` or more tokens is in the gold text when most of its token ``n``-grams occur there
    (robust to small differences of spacing and punctuation); a shorter one when its tokens occur there
    side by side (a one-word block whenever its word does: weighted by tokens, such blocks weigh little).
    """
    gold_tokens = _tokens(gold)
    grams = set(zip(*(gold_tokens[i:] for i in range(n))))
    joined = " " + " ".join(gold_tokens) + " "
    labels = np.zeros(len(blocks))
    for i, block in enumerate(blocks):
        tokens = _tokens(block.text)
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


def fit(x: np.ndarray, y: np.ndarray, w: np.ndarray, l2: float = 1.0, iterations: int = 50) -> BlockModel:
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
    return BlockModel(FEATURES, mean, scale, beta[:-1], float(beta[-1]))
