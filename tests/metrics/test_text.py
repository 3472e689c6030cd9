"""The n-gram JS divergence (bits) against cases computed by hand."""

import math
from collections import Counter

import pytest

from suite.metrics.text import JS_KEYS, js_divergence, ngram_counts, ngram_js


def test_identical_distributions_are_zero_apart_whatever_the_sample_size():
    assert js_divergence(Counter({"a": 1, "b": 3}), Counter({"a": 10, "b": 30})) == pytest.approx(0.0, abs=1e-12)


def test_disjoint_supports_are_one_bit_apart():
    assert js_divergence(Counter({"a": 2, "b": 1}), Counter({"c": 5})) == pytest.approx(1.0)


def test_half_overlap_matches_the_hand_computed_value():
    # P = (1/2, 1/2) on {a, b}, Q = (1, 0): M = (3/4, 1/4);
    # KL(P||M) = 1/2 log2(2/3) + 1/2 log2(2), KL(Q||M) = log2(4/3); JS is their mean.
    expected = 0.5 * (0.5 * math.log2(2 / 3) + 0.5) + 0.5 * math.log2(4 / 3)
    assert js_divergence(Counter("ab"), Counter("aa")) == pytest.approx(expected)
    assert expected == pytest.approx(0.311278, abs=1e-6)


def test_ngrams_stay_within_each_sequence():
    assert ngram_counts(["abc", "de"], 2) == Counter({("a", "b"): 1, ("b", "c"): 1, ("d", "e"): 1})
    assert ngram_counts(["ab"], 3) == Counter()


def test_same_characters_in_another_order_differ_only_above_unigrams():
    values = ngram_js(["abcdabcd"], ["dcbadcba"])
    assert list(values) == list(JS_KEYS)
    assert values["js1"] == pytest.approx(0.0, abs=1e-12)
    assert values["js2"] == pytest.approx(1.0) and values["js4"] == pytest.approx(1.0)


def test_an_empty_table_is_an_error_not_a_number():
    with pytest.raises(ValueError, match="shorter than n"):
        ngram_js(["abc"], ["abcd"])
