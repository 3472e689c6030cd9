"""Character-level text: the fortune-cookie files of Debian's `fortunes` and `fortunes-min` packages (BSD
licence, docs/data.md), cut into sequences of SEQUENCE_LENGTH characters over a fixed vocabulary.

WGAN-GP section 5.5 (Gulrajani et al. 2017) trains its character-level language GAN on sequences of 32
characters ("Improved Training of Wasserstein GANs", gan_language.py: SEQ_LEN = 32); a character outside
the vocabulary becomes one unknown symbol, as that script's `language_helpers.load_dataset` maps it to
'unk'. Real text enters the critic one-hot, [vocabulary, SEQUENCE_LENGTH] per sequence.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import torch

from suite.data.base import named_root
from suite.errors import ConfigError, DataMissingError

log = logging.getLogger(__name__)

DEBIAN_ROOT = Path("/usr/share/games/fortunes")
SEQUENCE_LENGTH = 32
VOCABULARY_SIZE = 64  # the unknown symbol and the 63 most frequent characters of the training split
UNKNOWN = "\u00a4"  # how the unknown symbol prints (the currency sign: not in the corpus)
HELD_OUT_EVERY = 10  # every 10th cookie, in file order, is held out
# Every text file of fortunes-min (fortunes, literature, riddles) and fortunes 1:1.99.1, by name, so that
# another fortunes-* package installed beside them changes nothing. ascii-art is left out: drawings, not text.
CORPUS_FILES = (
    "art", "computers", "cookie", "debian", "definitions", "disclaimer", "drugs", "education", "ethnic", "food",
    "fortunes", "goedel", "humorists", "kids", "knghtbrd", "law", "linux", "linuxcookie", "literature", "love",
    "magic", "medicine", "men-women", "miscellaneous", "news", "paradoxum", "people", "perl", "pets", "platitudes",
    "politics", "pratchett", "riddles", "science", "songs-poems", "sports", "startrek", "tao", "translate-me",
    "wisdom", "work", "zippy",
)
HOW_TO_GET = ("the fortunes corpus is not found: install it with `apt-get install fortunes` (Debian/Ubuntu; it "
              "brings fortunes-min) or name a folder holding its files with $GANBENCH_DATA_ROOT")


@dataclass(frozen=True)
class TextData:
    """Sequences as vocabulary indices, uint8 [N, SEQUENCE_LENGTH]; `alphabet[i]` is index i's character."""

    codes: torch.Tensor
    alphabet: str

    def __len__(self) -> int:
        return len(self.codes)

    def one_hot(self, codes: torch.Tensor | None = None) -> torch.Tensor:
        """float32 [N, vocabulary, SEQUENCE_LENGTH] of `codes` (default: all sequences)."""
        return one_hot(self.codes if codes is None else codes, len(self.alphabet))

    def decode(self, codes: torch.Tensor | None = None) -> list[str]:
        return decode(self.codes if codes is None else codes, self.alphabet)


def one_hot(codes: torch.Tensor, vocabulary: int) -> torch.Tensor:
    """Indices [N, L] -> float32 one-hot [N, vocabulary, L] (channels first, as a 1-d conv reads them)."""
    return torch.nn.functional.one_hot(codes.long(), vocabulary).permute(0, 2, 1).float().contiguous()


def decode(codes: torch.Tensor, alphabet: str) -> list[str]:
    return ["".join(alphabet[i] for i in row) for row in codes.tolist()]


def _corpus_folder(root: Path | None) -> Path:
    named = named_root(root)
    return named / "fortunes" if named is not None else DEBIAN_ROOT


def text_present(root: Path | None = None) -> bool:
    folder = _corpus_folder(root)
    return all((folder / name).is_file() for name in CORPUS_FILES)


def read_cookies(folder: Path) -> list[str]:
    """Every cookie of the corpus files in CORPUS_FILES order, whitespace runs collapsed to one space."""
    cookies = []
    for name in CORPUS_FILES:
        path = folder / name
        if not path.is_file():
            raise DataMissingError(f"{path} is missing; {HOW_TO_GET}")
        text = path.read_bytes().decode("utf-8", errors="replace")
        for cookie in re.split(r"^%$", text, flags=re.MULTILINE):
            flat = " ".join(cookie.split())
            if flat:
                cookies.append(flat)
    return cookies


def pieces(cookie: str) -> list[str]:
    """The cookie's consecutive SEQUENCE_LENGTH-character pieces; a shorter remainder is dropped (no padding
    symbol to learn)."""
    return [cookie[start:start + SEQUENCE_LENGTH]
            for start in range(0, len(cookie) - SEQUENCE_LENGTH + 1, SEQUENCE_LENGTH)]


def split_cookies(cookies: list[str]) -> dict[str, list[str]]:
    """Whole cookies go to one split, so no sequence of the held-out split continues a training one."""
    return {"train": [c for i, c in enumerate(cookies) if i % HELD_OUT_EVERY != HELD_OUT_EVERY - 1],
            "test": [c for i, c in enumerate(cookies) if i % HELD_OUT_EVERY == HELD_OUT_EVERY - 1]}


def build_alphabet(train_sequences: list[str]) -> str:
    """UNKNOWN, then the VOCABULARY_SIZE - 1 most frequent characters of the training sequences (ties by code
    point, so the vocabulary does not depend on the order of counting)."""
    counts = Counter(char for sequence in train_sequences for char in sequence)
    ranked = sorted(counts, key=lambda char: (-counts[char], char))
    alphabet = UNKNOWN + "".join(ranked[:VOCABULARY_SIZE - 1])
    return alphabet.ljust(VOCABULARY_SIZE, UNKNOWN)  # a small corpus: the unused indices print as unknown


def encode(sequences: list[str], alphabet: str) -> torch.Tensor:
    index: dict[str, int] = {}
    for i, char in enumerate(alphabet):
        index.setdefault(char, i)
    unknown = index[UNKNOWN]
    return torch.tensor([[index.get(char, unknown) for char in sequence] for sequence in sequences],
                        dtype=torch.uint8).reshape(len(sequences), SEQUENCE_LENGTH)


_CACHE: dict[Path, dict[str, TextData]] = {}


def load_text(split: str, root: Path | None = None) -> TextData:
    """One split of the corpus; both splits share the vocabulary of the training split."""
    folder = _corpus_folder(root)
    if folder not in _CACHE:
        if not text_present(root):
            raise DataMissingError(HOW_TO_GET)
        log.info("reading the fortunes corpus from %s", folder)
        by_split = {name: [p for cookie in cookies for p in pieces(cookie)]
                    for name, cookies in split_cookies(read_cookies(folder)).items()}
        if not by_split["train"] or not by_split["test"]:
            raise ConfigError(f"the corpus in {folder} gives no sequence of {SEQUENCE_LENGTH} characters in one of "
                              "its splits; allowed: cookies (separated by '%' lines) of 32 characters or more")
        alphabet = build_alphabet(by_split["train"])
        _CACHE[folder] = {name: TextData(encode(sequences, alphabet), alphabet)
                          for name, sequences in by_split.items()}
    return _CACHE[folder][split]
