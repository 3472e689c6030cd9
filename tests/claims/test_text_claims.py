"""The WGAN-GP section 5.5 claims on synthetic text runs with known n-gram JS values."""

import json

import pytest
import yaml

from suite.claims import CLAIMS, claims_table
from suite.claims.measures import gap_closed
from suite.claims.runs import MeasurementMissing, RunOutputs
from suite.methods import resolve_method

GP_METHOD = resolve_method({"preset": "wgan-gp", "g_norm": "none"}).to_dict()
STANDARD_METHOD = resolve_method({"preset": "wgan-gp", "loss": "ns", "constraint": "none", "g_norm": "none"}).to_dict()
LEARNS_LITTLE, GP_BEATS = "wgan-gp-5.5-standard-gan-learns-little", "wgan-gp-5.5-gp-beats-standard-on-text"


def text_run(results, method: str, seed: int, js4: float, untrained: float = 1.0, floor: float = 0.2,
             status: str = "ok"):
    folder = results / "text" / "runs" / "text-fortunes" / "narrow" / method / f"seed{seed}"
    folder.mkdir(parents=True)
    record = {"experiment": "text", "data": "text-fortunes", "arch_name": "narrow",
              "arch": {"family": "text-resnet", "width": 8, "blocks": 5}, "method_name": method,
              "method": GP_METHOD if method == "gp" else STANDARD_METHOD, "seed": seed}
    (folder / "run.yaml").write_text(yaml.safe_dump(record))
    (folder / "metrics.json").write_text(json.dumps(
        {"status": status, "metrics": {"js4": js4, "js4_untrained": untrained, "js4_floor": floor}}))
    return folder


def test_gap_closed_is_the_share_of_the_way_from_untrained_to_the_floor(tmp_path):
    run = RunOutputs.load(text_run(tmp_path, "standard", 0, js4=0.6, untrained=1.0, floor=0.2))
    assert gap_closed("js4")(run) == pytest.approx(0.5)
    diverged = RunOutputs.load(text_run(tmp_path, "standard", 1, js4=0.3, status="diverged"))
    assert gap_closed("js4")(diverged) == 0.0
    with pytest.raises(MeasurementMissing, match="js2_floor"):
        gap_closed("js2")(run)


def test_a_standard_gan_stuck_near_its_start_reproduces_both_claims(tmp_path):
    folders = [text_run(tmp_path, "gp", seed, js4) for seed, js4 in enumerate((0.62, 0.66, 0.60, 0.64))]
    folders += [text_run(tmp_path, "standard", seed, js4) for seed, js4 in enumerate((0.99, 1.0, 0.97, 0.995))]
    table = claims_table(folders, [CLAIMS[LEARNS_LITTLE], CLAIMS[GP_BEATS]]).set_index("id")
    assert table.loc[GP_BEATS, "effect"] == pytest.approx(0.63 - 0.98875)
    assert table.loc[LEARNS_LITTLE, "effect"] < 0.05
    assert (table["verdict"] == "reproduced").all(), table[["verdict", "reason"]]


def test_a_standard_gan_that_learns_as_well_contradicts_the_first_and_leaves_the_second_open(tmp_path):
    folders = [text_run(tmp_path, "gp", seed, js4) for seed, js4 in enumerate((0.40, 0.46, 0.42, 0.44))]
    folders += [text_run(tmp_path, "standard", seed, js4) for seed, js4 in enumerate((0.41, 0.45, 0.43, 0.44))]
    table = claims_table(folders, [CLAIMS[LEARNS_LITTLE], CLAIMS[GP_BEATS]]).set_index("id")
    assert table.loc[LEARNS_LITTLE, "verdict"] == "contradicted"
    assert table.loc[GP_BEATS, "verdict"] != "reproduced"
