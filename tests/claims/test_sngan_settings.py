"""SN-GAN's settings study (Figs. 1-2) as claims: groups over settings, their statistics, their verdicts."""

import json
import math

import numpy as np
import pytest
import yaml
from scipy import stats as sps

from suite.claims import CLAIMS, any_of, claims_table, find_runs, group
from suite.claims.definitions import sngan
from suite.claims.measures import log_range
from suite.claims.verdict import REPRODUCED
from suite.methods import PRESETS, SETTINGS, resolve_method

AGGRESSIVE = "sngan-fig1-wgan-gp-fails-aggressive"


def settings_run(root, preset: str, setting: str, seed: int, domain_fid: float, status: str = "ok"):
    """A run folder of `preset` under `setting`, its run.yaml the resolved method as a study writes it."""
    method = resolve_method({"preset": preset, "setting": setting}).to_dict()
    folder = root / "synth" / "runs" / "fashion32" / "dcgan" / f"{preset}+{setting}" / f"seed{seed}"
    folder.mkdir(parents=True)
    record = {"experiment": "synth", "data": "fashion32", "arch_name": "dcgan", "arch": {"family": "dcgan"},
              "method_name": f"{preset}+{setting}", "method": method, "seed": seed}
    (folder / "run.yaml").write_text(yaml.safe_dump(record))
    (folder / "metrics.json").write_text(json.dumps({"status": status, "metrics": {"domain_fid": domain_fid}}))
    return folder


def verdict(claim_id, root):
    return claims_table(find_runs(root / "synth"), [CLAIMS[claim_id]]).iloc[0]


def test_the_claims_know_table_1s_settings_and_the_papers_regularizers():
    assert sngan.SETTINGS_A_F == tuple(SETTINGS)
    ids = {f"sngan-fig1-sn-steadier-than-{name}" for name in sngan.REGULARIZERS} | {AGGRESSIVE}
    assert ids <= set(CLAIMS)
    # every regularizer's group finds the preset of that name under any setting, and no other preset's runs
    presets = {"weight-clipping": "gan-wc", "gan-gp": "gan-gp", "wgan-gp": "wgan-gp", "bn": "gan-bn", "ln": "gan-ln",
               "wn": "gan-wn", "orthonormal": "gan-ortho"}
    records = {preset: {"data": "fashion32", "arch": {"family": "dcgan"},
                        "method": resolve_method({"preset": preset, "setting": "E"}).to_dict()}
               for preset in [*presets.values(), "gan-sn"]}
    for name, (label, fields) in sngan.REGULARIZERS.items():
        matched = [preset for preset, record in records.items() if sngan.settings_group(label, **fields).matches(record)]
        assert matched == [presets[name]], name
    assert [p for p, r in records.items() if sngan.settings_group("SN", **sngan.SN_STANDARD).matches(r)] == ["gan-sn"]


def test_any_of_matches_any_listed_value_and_nothing_else():
    chosen = group("late", "fashion32", {"family": "dcgan"}, setting=any_of("D", "E"), betas=any_of([0.5, 0.9], [0.9, 0.999]))
    def record(setting, betas):
        return {"data": "fashion32", "arch": {"family": "dcgan"}, "method": {"setting": setting, "betas": betas}}
    assert chosen.matches(record("D", [0.5, 0.9])) and chosen.matches(record("E", [0.9, 0.999]))
    assert not chosen.matches(record("A", [0.5, 0.9])) and not chosen.matches(record("D", [0.5, 0.999]))
    assert not chosen.matches(record(None, [0.5, 0.9]))
    assert "setting D/E" in chosen.describe()


def test_the_older_sngan_groups_leave_settings_runs_out():
    record = {"data": "fashion32", "arch": {"family": "dcgan"},
              "method": resolve_method({"preset": "gan-sn", "setting": "A"}).to_dict()}
    assert not sngan.SN_DCGAN.matches(record)
    assert sngan.SN_DCGAN.matches(record | {"method": PRESETS["sngan"].to_dict()})


def test_wgan_gp_worse_at_aggressive_settings_on_per_seed_means(tmp_path):
    early = {0: [20.0, 22.0, 21.0], 1: [25.0, 24.0, 23.0], 2: [19.0, 20.0, 24.0]}  # seed: FID at A, B, C
    late = {0: [80.0, 95.0, 120.0], 1: [70.0, 90.0, 100.0], 2: [85.0, 99.0, 130.0]}  # at D, E, F
    for seed in early:
        for setting, value in zip("ABC", early[seed]):
            settings_run(tmp_path, "wgan-gp", setting, seed, value)
        for setting, value in zip("DEF", late[seed]):
            settings_run(tmp_path, "wgan-gp", setting, seed, value)
    settings_run(tmp_path, "gan-gp", "D", 0, 500.0)  # another method: not WGAN-GP's
    result = verdict(AGGRESSIVE, tmp_path)
    a = np.array([np.mean(v) for v in late.values()])
    b = np.array([np.mean(v) for v in early.values()])
    assert result["effect"] == pytest.approx(a.mean() - b.mean())
    assert result["p"] == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)
    assert (result["seeds"], result["test"], result["verdict"]) == ("3 vs 3", "Welch t", REPRODUCED)


def test_sn_spread_against_another_regularizer_over_the_settings_both_ran(tmp_path):
    sn = {0: {"A": 30.0, "C": 33.0, "D": 36.0}, 1: {"A": 31.0, "C": 30.0, "D": 40.0}, 2: {"A": 29.0, "C": 31.0, "D": 33.0}}
    ln = {0: {"A": 40.0, "D": 200.0}, 1: {"A": 45.0, "D": 300.0}, 2: {"A": 38.0, "D": 150.0}}
    for seed in sn:
        for setting, value in sn[seed].items():
            settings_run(tmp_path, "gan-sn", setting, seed, value)
        for setting, value in ln[seed].items():
            settings_run(tmp_path, "gan-ln", setting, seed, value)
    result = verdict("sngan-fig1-sn-steadier-than-ln", tmp_path)
    # only A and D were run by both: C is left out of SN's spread
    a = np.array([math.log10(max(v["A"], v["D"]) / min(v["A"], v["D"])) for v in sn.values()])
    b = np.array([math.log10(v["D"] / v["A"]) for v in ln.values()])
    assert result["effect"] == pytest.approx(a.mean() - b.mean())
    assert result["p"] == pytest.approx(sps.ttest_ind(a, b, equal_var=False).pvalue)
    assert result["verdict"] == REPRODUCED and result["ci_high"] < 0


def test_a_seed_with_a_diverged_setting_has_no_spread(tmp_path):
    for seed in range(3):
        for setting, value in (("A", 30.0 + seed), ("D", 33.0 + 2 * seed)):
            settings_run(tmp_path, "gan-sn", setting, seed, value)
        settings_run(tmp_path, "gan-wn", "A", seed, 40.0 + seed)
        settings_run(tmp_path, "gan-wn", "D", seed, 90.0 * (seed + 1), status="diverged" if seed == 2 else "ok")
    result = verdict("sngan-fig1-sn-steadier-than-wn", tmp_path)
    assert result["seeds"] == "3 vs 2"
    assert "1 diverged run(s) left out" in result["reason"] and "1 run(s) without a finite value" in result["reason"]


def test_a_spread_needs_two_shared_settings(tmp_path):
    for seed in range(2):
        settings_run(tmp_path, "gan-sn", "A", seed, 30.0)
        settings_run(tmp_path, "gan-bn", "D", seed, 60.0)
    result = verdict("sngan-fig1-sn-steadier-than-bn", tmp_path)
    assert result["verdict"] == "not run" and "share fewer than two values of setting (none)" in result["reason"]


@pytest.mark.parametrize("values, expected", [([10.0, 100.0, 50.0], 1.0), ([4.0, 4.0], 0.0),
                                              ([3.0, math.nan], math.nan), ([0.0, 2.0], math.nan)])
def test_log_range_is_the_orders_of_magnitude_spanned(values, expected):
    assert log_range(values) == pytest.approx(expected, nan_ok=True)


def test_settings_runs_stay_out_of_the_other_studies_groups():
    """A regularizer under a Table 1 setting is its own experiment: the groups of claims that compare the
    presets at their own hyperparameters must not take its runs in."""
    from suite.claims.definitions import ours, wgan_gp

    def record(entry):
        return {"data": "fashion32", "arch": {"family": "dcgan", "width": 8}, "method": resolve_method(entry).to_dict()}

    groups = [wgan_gp.GP_ADAM, wgan_gp.GP_RMSPROP, wgan_gp.CLIP_RMSPROP, wgan_gp.DCGAN_BN, ours.BN, ours.ALL_DCGAN]
    for preset in ("wgan-gp", "gan-bn", "gan-gp", "gan-wc"):
        for setting in SETTINGS:
            assert not any(g.matches(record({"preset": preset, "setting": setting})) for g in groups)
    assert wgan_gp.GP_ADAM.matches(record("wgan-gp")) and wgan_gp.DCGAN_BN.matches(record("dcgan-bn"))
    assert ours.ALL_DCGAN.matches(record("sngan"))
