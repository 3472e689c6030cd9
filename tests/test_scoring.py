"""Scoring loads only what training wrote: a foreign .pt file's pickled code never runs."""

import json
import pathlib

import pytest
import torch

from suite.config import resolve_study
from suite.errors import GanbenchError
from suite.scoring import score_run
from tests.conftest import toy_study


class RunsCodeWhenUnpickled:
    def __init__(self, sentinel: pathlib.Path):
        self.sentinel = sentinel

    def __reduce__(self):
        return pathlib.Path.touch, (self.sentinel,)


def test_a_generator_file_holding_code_is_refused_without_running_it(tmp_path):
    (run,) = resolve_study(toy_study(iterations=2)).runs
    sentinel = tmp_path / "code-ran"
    generator = tmp_path / "generator.pt"
    torch.save({"generator": {}, "step": 2, "payload": RunsCodeWhenUnpickled(sentinel)}, generator)
    (tmp_path / "train.json").write_text(json.dumps({"status": "ok", "diverged_at_step": None}))
    with pytest.raises(GanbenchError, match="holds objects other than tensors and plain types"):
        score_run(run, generator, tmp_path / "train.json", {})
    assert not sentinel.exists()
    torch.load(generator, weights_only=False)  # the same file, loaded unsafely, does run it
    assert sentinel.exists()
