"""The fortunes corpus: a deterministic split by cookie, a fixed vocabulary and one-hot sequences."""

import pytest
import torch

from suite.data import data_shape, is_available, load_dataset
from suite.data.text import (SEQUENCE_LENGTH, UNKNOWN, VOCABULARY_SIZE, build_alphabet, encode, load_text, pieces,
                             read_cookies, split_cookies)
from suite.errors import DataMissingError
from tests.data.files import write_fortunes


def test_the_split_is_deterministic_and_the_held_out_cookies_are_every_tenth(tmp_path):
    first, second = write_fortunes(tmp_path / "one"), write_fortunes(tmp_path / "two")
    cookies = read_cookies(first)
    assert cookies == read_cookies(second)
    split = split_cookies(cookies)
    assert split["test"] == cookies[9::10]
    assert len(split["train"]) + len(split["test"]) == len(cookies)
    assert all("\n" not in cookie and "  " not in cookie and "%" not in cookie for cookie in cookies)


def test_both_splits_load_identically_twice_and_share_one_vocabulary(tmp_path):
    write_fortunes(tmp_path)
    train, test = load_text("train", tmp_path), load_text("test", tmp_path)
    assert train.codes.dtype == torch.uint8 and train.codes.shape[1] == SEQUENCE_LENGTH
    assert len(train) > 5 * len(test) > 0
    assert train.alphabet == test.alphabet and len(train.alphabet) == VOCABULARY_SIZE
    copy = tmp_path / "copy"
    write_fortunes(copy)
    assert torch.equal(load_text("train", copy).codes, train.codes)
    held_out_text = " ".join(split_cookies(read_cookies(tmp_path / "fortunes"))["test"])
    assert all(sequence in held_out_text for sequence in test.decode())


def test_one_hot_sequences_have_the_registered_shape_and_one_one_per_position(tmp_path):
    write_fortunes(tmp_path)
    data = load_dataset("text-fortunes", "train", root=tmp_path)
    batch = data.one_hot(data.codes[:8])
    assert tuple(batch.shape) == (8, *data_shape("text-fortunes")) == (8, VOCABULARY_SIZE, SEQUENCE_LENGTH)
    assert torch.equal(batch.sum(dim=1), torch.ones(8, SEQUENCE_LENGTH))
    assert data.decode(batch.argmax(dim=1)) == data.decode(data.codes[:8])


def test_rare_characters_become_the_unknown_symbol():
    alphabet = build_alphabet(["ab" * 100 + "c"])
    assert alphabet.startswith(UNKNOWN + "abc") and len(alphabet) == VOCABULARY_SIZE
    codes = encode(["ab?" + "a" * (SEQUENCE_LENGTH - 3)], alphabet)
    assert codes[0, 2].item() == alphabet.index(UNKNOWN) == 0


def test_pieces_are_consecutive_and_a_short_remainder_is_dropped():
    text = "x" * SEQUENCE_LENGTH + "y" * SEQUENCE_LENGTH + "z" * 5
    assert pieces(text) == ["x" * SEQUENCE_LENGTH, "y" * SEQUENCE_LENGTH]


def test_a_missing_corpus_says_how_to_install_it(tmp_path):
    assert not is_available("text-fortunes", tmp_path)
    with pytest.raises(DataMissingError, match="apt-get install fortunes"):
        load_dataset("text-fortunes", "test", root=tmp_path)
