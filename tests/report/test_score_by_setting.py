"""The score-by-setting figure (SN-GAN Figs. 1-2): per method and setting, the seeds' mean and t interval."""

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats as sps

from suite.report.figures import score_by_setting, setting_table

# (method as the grid names it, setting in run.yaml, seed, domain FID, status)
RUNS = [
    ("gan-sn+A", "A", 0, 30.0, "ok"), ("gan-sn+A", "A", 1, 34.0, "ok"), ("gan-sn+A", "A", 2, 32.0, "ok"),
    ("gan-sn+D", "D", 0, 40.0, "ok"), ("gan-sn+D", "D", 1, 44.0, "ok"), ("gan-sn+D", "D", 2, 90.0, "diverged"),
    ("wgan-gp+A", "A", 0, 50.0, "ok"), ("wgan-gp+A", "A", 1, 60.0, "ok"),
    ("wgan-gp+D", "D", 0, 300.0, "ok"),
    ("wgan-gp", None, 0, 55.0, "ok"),  # no setting: not in the figure
]


@pytest.fixture
def runs(tmp_path):
    rows = []
    for method, setting, seed, fid, status in RUNS:
        folder = tmp_path / method / f"seed{seed}"
        folder.mkdir(parents=True)
        (folder / "run.yaml").write_text(yaml.safe_dump({"method": {"loss": "ns", "setting": setting}}))
        rows.append({"data": "fashion32", "arch": "dcgan", "method": method, "seed": seed, "status": status,
                     "domain_fid": fid, "run_dir": str(folder)})
    return pd.DataFrame(rows)


def test_setting_table_is_the_seeds_mean_with_a_t_interval(runs):
    table = setting_table(runs, "domain_fid").set_index(["method", "setting"])
    assert list(table.index) == [("gan-sn", "A"), ("gan-sn", "D"), ("wgan-gp", "A"), ("wgan-gp", "D")]
    sn_a = table.loc[("gan-sn", "A")]
    half = sps.t.ppf(0.975, 2) * np.std([30.0, 34.0, 32.0], ddof=1) / np.sqrt(3)
    assert (sn_a["mean"], sn_a["n"]) == (32.0, 3)
    assert (sn_a["low"], sn_a["high"]) == (pytest.approx(32.0 - half), pytest.approx(32.0 + half))
    assert (table.loc[("gan-sn", "D"), "mean"], table.loc[("gan-sn", "D"), "n"]) == (42.0, 2)  # diverged left out
    assert table.loc[("wgan-gp", "A"), "mean"] == 55.0
    single = table.loc[("wgan-gp", "D")]
    assert (single["mean"], single["n"]) == (300.0, 1) and np.isnan(single["low"])


def test_score_by_setting_draws_one_figure_per_data_and_arch(runs, tmp_path):
    (figure,) = score_by_setting(runs, "domain_fid", tmp_path / "out")
    assert figure.kind == "score_by_setting" and figure.png.is_file() and figure.pdf.is_file()
    assert score_by_setting(runs.assign(method="wgan-gp").iloc[-1:], "domain_fid", tmp_path / "none") == []
