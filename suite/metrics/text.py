"""Jensen-Shannon divergence between the character n-gram distributions of two sets of sequences.

The metric of WGAN-GP's language model (Gulrajani et al. 2017, "Improved Training of Wasserstein GANs", the
authors' gan_language.py and language_helpers.py: NgramLanguageModel.js_with): for n = 1..4, the n-grams of
every sequence (overlapping, within a sequence) are counted on each side, their relative frequencies P and Q
compared by

    JS(P, Q) = 1/2 KL(P || M) + 1/2 KL(Q || M),  M = (P + Q) / 2,

in bits (log base 2), as that script divides by ln 2: 0 for identical distributions, 1 for disjoint supports.
Generated sequences are read as the argmax character at each position.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

NGRAM_ORDERS = (1, 2, 3, 4)
JS_KEYS = tuple(f"js{n}" for n in NGRAM_ORDERS)
FLOOR_KEYS = tuple(f"{key}_floor" for key in JS_KEYS)  # two disjoint real samples of the same size
UNTRAINED_KEYS = tuple(f"{key}_untrained" for key in JS_KEYS)  # the run's generator before any step
TEXT_METRIC_KEYS = (*JS_KEYS, *FLOOR_KEYS, *UNTRAINED_KEYS)


def ngram_counts(sequences: Sequence[Sequence], n: int) -> Counter:
    """Counts of the n-grams (tuples of n symbols) of every sequence; a sequence shorter than n has none."""
    counts: Counter = Counter()
    for sequence in sequences:
        symbols = tuple(sequence)
        counts.update(symbols[i:i + n] for i in range(len(symbols) - n + 1))
    return counts


def js_divergence(p_counts: Counter, q_counts: Counter) -> float:
    """JS divergence in bits between the relative frequencies of two count tables."""
    p_total, q_total = sum(p_counts.values()), sum(q_counts.values())
    if p_total == 0 or q_total == 0:
        raise ValueError("an n-gram table is empty: every sequence is shorter than n")
    support = list(set(p_counts) | set(q_counts))
    p = np.array([p_counts.get(key, 0) for key in support], dtype=np.float64) / p_total
    q = np.array([q_counts.get(key, 0) for key in support], dtype=np.float64) / q_total
    m = (p + q) / 2
    return float(0.5 * _kl_bits(p, m) + 0.5 * _kl_bits(q, m))


def _kl_bits(p: np.ndarray, m: np.ndarray) -> float:
    present = p > 0  # 0 log 0 = 0; m > 0 wherever p > 0
    return float(np.sum(p[present] * np.log2(p[present] / m[present])))


def ngram_js(generated: Sequence[Sequence], reference: Sequence[Sequence]) -> dict[str, float]:
    """{"js1": ..., "js4": ...}: the JS divergence of each n-gram order between two sets of sequences."""
    return {key: js_divergence(ngram_counts(generated, n), ngram_counts(reference, n))
            for key, n in zip(JS_KEYS, NGRAM_ORDERS)}


def rounded(values: dict[str, float], digits: int = 6) -> dict[str, float]:
    return {key: round(value, digits) if math.isfinite(value) else value for key, value in values.items()}
