"""SAGAN Table 1 as claims: attention against the residual control of equal parameters, at 8x8, 16x16 and
32x32."""

import json

import pytest
import yaml

from suite.claims import CLAIMS, claims_table, find_runs
from suite.claims.definitions import sagan
from suite.claims.verdict import REPRODUCED
from suite.methods import resolve_method

RESIDUAL = "sagan-table1-attention-beats-residual-at-{}"


def sagan_method(size: int, **fields) -> dict:
    """run.yaml's method of SAGAN with its blocks at `size`, as a study writes it."""
    return resolve_method({"preset": "sagan", "g_attention": size, "d_attention": size, **fields}).to_dict()


def record(method: dict) -> dict:
    return {"data": "fashion32", "arch": {"family": "dcgan", "width": 16}, "method": method}


def test_the_groups_take_each_block_at_its_size_and_nothing_else():
    methods = {(block, size): sagan_method(size, attention_block=block)
               for block in ("attention", "residual") for size in (8, 16, 32)}
    groups = {("attention", 8): sagan.ATTENTION_AT_8, ("attention", 16): sagan.ATTENTION_AT_16,
              ("attention", 32): sagan.ATTENTION_AT_32, ("residual", 8): sagan.RESIDUAL_AT_8,
              ("residual", 16): sagan.RESIDUAL_AT_16, ("residual", 32): sagan.RESIDUAL_AT_32}
    for key, chosen in groups.items():
        assert [k for k, method in methods.items() if chosen.matches(record(method))] == [key]
    for size in (8, 16, 32):
        assert CLAIMS[RESIDUAL.format(size)].groups == (groups["attention", size], groups["residual", size])
    # the attention-size claim leaves the residual runs out
    assert CLAIMS["sagan-table1-attention-at-larger-maps"].groups == (sagan.ATTENTION_AT_32, sagan.ATTENTION_AT_8)


def test_a_record_without_attention_block_counts_as_attention():
    """Runs recorded before the field (and every attention run since: the default is left out) have none."""
    method = sagan_method(8)
    assert "attention_block" not in method
    assert sagan.ATTENTION_AT_8.matches(record(method))
    assert sagan.ATTENTION_AT_8.matches(record({**method, "attention_block": "attention"}))
    assert not sagan.RESIDUAL_AT_8.matches(record(method))


def write_block_runs(tmp_path, fids: dict) -> None:
    """Run folders of attention and residual blocks at 8 x 8 with these domain FIDs (None: diverged)."""
    for block, values in fids.items():
        for seed, fid in enumerate(values):
            folder = tmp_path / "synth" / "runs" / "fashion32" / "dcgan" / f"sagan-{block}-8" / f"seed{seed}"
            folder.mkdir(parents=True)
            (folder / "run.yaml").write_text(yaml.safe_dump(
                {"experiment": "synth", **record(sagan_method(8, attention_block=block)), "arch_name": "dcgan",
                 "method_name": f"sagan-{block}-8", "seed": seed}))
            status = "ok" if fid is not None else "diverged"
            (folder / "metrics.json").write_text(json.dumps({"status": status, "metrics": {"domain_fid": fid}}))


def test_attention_below_residual_is_reproduced(tmp_path):
    fids = {"attention": [20.0, 21.5, 19.0, 22.0, 20.5], "residual": [30.0, 33.0, 28.5, 31.0, 35.0]}
    write_block_runs(tmp_path, fids)
    result = claims_table(find_runs(tmp_path / "synth"), [CLAIMS[RESIDUAL.format(8)]]).iloc[0]
    assert result["verdict"] == REPRODUCED and result["seeds"] == "5 vs 5"
    assert result["effect"] == pytest.approx(sum(fids["attention"]) / 5 - sum(fids["residual"]) / 5)


def test_the_training_outcome_claims_score_a_diverged_run_worst(tmp_path):
    ids = ["sagan-fig3-sn-in-g", "sagan-fig3-ttur", "sagan-ttur-wallclock", "sagan-table1-attention-at-larger-maps",
           *(RESIDUAL.format(size) for size in (8, 16, 32))]
    for claim_id in ids:
        assert CLAIMS[claim_id].improving_metric == "domain_fid" and CLAIMS[claim_id].diverged_is_worst, claim_id
    fids = {"attention": [20.0, 21.5, 19.0, None], "residual": [30.0, 33.0, 28.5]}  # attention's seed 3 diverged
    write_block_runs(tmp_path, fids)
    result = claims_table(find_runs(tmp_path / "synth"), [CLAIMS[RESIDUAL.format(8)]]).iloc[0]
    # the diverged attention run counts as the claim's worst finite FID (33.0), against attention
    assert result["seeds"] == "4 vs 3"
    assert result["effect"] == pytest.approx((20.0 + 21.5 + 19.0 + 33.0) / 4 - (30.0 + 33.0 + 28.5) / 3)
