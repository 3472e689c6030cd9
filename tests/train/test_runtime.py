"""suite.runtime: deterministic mode without importing torch's compiler stack."""

import subprocess
import sys

import pytest

from tests.conftest import REPO

PROBE = """
import sys, torch
{before}
from suite import runtime
runtime.make_deterministic(0)
inductor = sys.modules.get("torch._inductor.config")
print(torch.are_deterministic_algorithms_enabled(), torch.is_deterministic_algorithms_warn_only_enabled(),
      inductor is not None and inductor.deterministic)
"""


def probe(before: str = "") -> str:
    result = subprocess.run([sys.executable, "-c", PROBE.format(before=before)], cwd=REPO, capture_output=True,
                            text=True, timeout=120, check=True)
    return result.stdout.strip()


@pytest.mark.slow
def test_deterministic_mode_is_on_and_inductor_stays_unimported():
    assert probe() == "True False False"


@pytest.mark.slow
def test_inductor_flag_is_set_too_when_inductor_was_already_imported():
    assert probe("import torch._inductor.config") == "True False True"
