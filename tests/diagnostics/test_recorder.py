import copy
import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pandas as pd
import pytest
import torch
import yaml
from torch import nn

from suite.claims.measures import effective_rank_fraction, input_gradient_over_bound
from suite.claims.runs import RunOutputs
from suite.diagnostics import (INPUT_GRAD_COLUMNS, LAYER_COLUMNS, SPECTRA_COLUMNS, WEIGHT_COLUMNS,
                               DiagnosticsRecorder, exact_sigma)
from suite.methods import spectral_norm


def wasserstein(d_real, d_fake):
    return d_fake.mean() - d_real.mean()


class Squeeze(nn.Module):
    def forward(self, x):
        return x.flatten(1).squeeze(1)


def bn_sn_critic():
    """Conv critic with BatchNorm (train mode), spectral norm and dropout (consumes RNG)."""
    return nn.Sequential(
        spectral_norm(nn.Conv2d(1, 4, 3, padding=1)), nn.BatchNorm2d(4), nn.LeakyReLU(0.1, True),
        nn.Conv2d(4, 8, 3, stride=2, padding=1), nn.BatchNorm2d(8), nn.ReLU(True),
        nn.Dropout(0.2), nn.Flatten(), spectral_norm(nn.Linear(8 * 4 * 4, 1)), Squeeze()).train()


def snapshot(critic):
    return {
        "state": {k: v.detach().clone() for k, v in critic.state_dict(keep_vars=True).items()},
        "grads": {k: None if p.grad is None else p.grad.clone()
                  for k, p in critic.named_parameters()},
        "sn_weights": [m.weight.clone() for m in critic.modules() if hasattr(m, "weight_orig")],
        "rng": torch.get_rng_state(),
    }


def assert_same(a, b):
    assert a["state"].keys() == b["state"].keys()
    for key in a["state"]:
        assert torch.equal(a["state"][key], b["state"][key]), key
    for key in a["grads"]:
        ga, gb = a["grads"][key], b["grads"][key]
        assert (ga is None and gb is None) or torch.equal(ga, gb), key
    assert all(torch.equal(x, y) for x, y in zip(a["sn_weights"], b["sn_weights"]))
    assert torch.equal(a["rng"], b["rng"])


@pytest.fixture
def probes():
    gen = torch.Generator().manual_seed(3)
    return torch.randn(8, 1, 8, 8, generator=gen), torch.randn(8, 1, 8, 8, generator=gen)


def test_record_leaves_critic_grads_buffers_and_rng_unchanged(tmp_path, probes):
    torch.manual_seed(0)
    critic = bn_sn_critic()
    twin = copy.deepcopy(critic)
    real, fake = probes
    for net in (critic, twin):  # a training step: populated .grad on some parameters
        wasserstein(net(real), net(fake)).backward()
    critic[3].weight.grad = None  # and a None grad that must stay None
    twin[3].weight.grad = None
    before = snapshot(critic)
    with DiagnosticsRecorder(critic, wasserstein, real, fake, tmp_path) as recorder:
        recorder.record(0)
        recorder.record(1)
    assert_same(before, snapshot(critic))
    # the next training forward is bit-identical to that of a twin that was never recorded
    torch.manual_seed(5)
    out = critic(real)
    torch.manual_seed(5)
    assert torch.equal(out, twin(real))


def test_layers_csv_columns_and_one_row_per_layer_per_record(tmp_path, probes):
    torch.manual_seed(0)
    critic = bn_sn_critic()
    real, fake = probes
    recorder = DiagnosticsRecorder(critic, wasserstein, real, fake, tmp_path, hist_bins=11)
    for step in (0, 5, 10):
        recorder.record(step)
    recorder.close()
    layers = pd.read_csv(tmp_path / "layers.csv", dtype={"layer": str})
    assert tuple(layers.columns) == LAYER_COLUMNS
    assert len(layers) == 3 * 3
    first = layers[layers.step == 0]
    assert first.layer_index.tolist() == [0, 1, 2]
    assert first.layer.tolist() == ["0", "3", "8"]
    assert first.kind.tolist() == ["Conv2d", "Conv2d", "Linear"]
    assert (layers.grad_output_norm > 0).all() and (layers.weight_grad_norm > 0).all()
    # SN layers: exact sigma of weight_orig and the buffer's estimate; plain: empty estimate
    assert first.sigma_exact.iloc[0] == pytest.approx(exact_sigma(critic[0]), rel=1e-6)
    assert first.sigma_estimate.iloc[0] == pytest.approx(float(critic[0].weight_sigma), rel=1e-6)
    assert first.sigma_estimate.isna().tolist() == [False, True, False]
    weights = pd.read_csv(tmp_path / "weights.csv")
    assert tuple(weights.columns) == WEIGHT_COLUMNS
    assert len(weights) == 3 * 11
    n_weights = 4 * 9 + 8 * 4 * 9 + 8 * 16
    assert weights.groupby("step")["count"].sum().tolist() == [n_weights] * 3


def test_histogram_range_is_fixed_at_first_record(tmp_path, probes):
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Flatten(), nn.Linear(64, 16), nn.ReLU(), nn.Linear(16, 1), Squeeze())
    real, fake = probes
    r0 = max(float(critic[i].weight.detach().abs().max()) for i in (1, 3))
    recorder = DiagnosticsRecorder(critic, wasserstein, real, fake, tmp_path, hist_bins=5)
    recorder.record(0)
    with torch.no_grad():
        critic[1].weight.mul_(100)  # now far outside the first range
    recorder.record(1)
    recorder.close()
    weights = pd.read_csv(tmp_path / "weights.csv")
    for _, rows in weights.groupby("step"):
        assert rows.bin_left.iloc[0] == pytest.approx(-r0, rel=1e-12)
        assert rows.bin_right.iloc[-1] == pytest.approx(r0, rel=1e-12)
        assert rows["count"].sum() == 64 * 16 + 16
    later = weights[weights.step == 1]["count"].tolist()
    assert later[0] + later[-1] > 0.95 * 64 * 16  # scaled weights clipped into the edge bins


def test_explicit_hist_range(tmp_path, probes):
    critic = nn.Sequential(nn.Flatten(), nn.Linear(64, 1), Squeeze())
    recorder = DiagnosticsRecorder(critic, wasserstein, *probes, tmp_path, hist_bins=4,
                                   hist_range=0.5)
    recorder.record(0)
    recorder.close()
    weights = pd.read_csv(tmp_path / "weights.csv")
    assert weights.bin_left.tolist() == [-0.5, -0.25, 0.0, 0.25]


def record_steps(critic, probes, out_dir, steps, **kwargs):
    with DiagnosticsRecorder(critic, wasserstein, *probes, out_dir, hist_bins=7, **kwargs) as rec:
        for step in steps:
            rec.record(step)


def test_resume_drops_rows_after_resume_step_and_keeps_range(tmp_path, probes):
    torch.manual_seed(0)
    critic = bn_sn_critic()
    record_steps(critic, probes, tmp_path, [0, 10, 20, 30])
    old_range = pd.read_csv(tmp_path / "weights.csv").bin_left.iloc[0]
    with torch.no_grad():
        critic[3].weight.mul_(5)
    record_steps(critic, probes, tmp_path, [20, 40], resume_step=15)
    layers = pd.read_csv(tmp_path / "layers.csv")
    weights = pd.read_csv(tmp_path / "weights.csv")
    assert layers.groupby("step").size().to_dict() == {0: 3, 10: 3, 20: 3, 40: 3}
    assert weights.groupby("step").size().to_dict() == {0: 7, 10: 7, 20: 7, 40: 7}
    assert (weights.groupby("step").bin_left.first() == old_range).all()
    assert not list(tmp_path.glob(".*.tmp"))


def test_without_resume_existing_files_are_replaced(tmp_path, probes):
    critic = bn_sn_critic()
    record_steps(critic, probes, tmp_path, [0, 10])
    record_steps(critic, probes, tmp_path, [0])
    assert pd.read_csv(tmp_path / "layers.csv").step.tolist() == [0, 0, 0]


def test_resume_drops_a_partial_last_line_and_a_partial_record(tmp_path, probes):
    critic = bn_sn_critic()
    record_steps(critic, probes, tmp_path, [0, 10, 20])
    path = tmp_path / "layers.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:-1]) + "30,0,0,Conv2d,0.12")  # step 20 lost a row; 30 cut
    record_steps(critic, probes, tmp_path, [], resume_step=100)
    assert pd.read_csv(path).groupby("step").size().to_dict() == {0: 3, 10: 3}
    assert path.read_text().endswith("\n")


@pytest.mark.slow
def test_killed_process_leaves_only_complete_rows(tmp_path):
    script = textwrap.dedent(f"""
        import torch
        from torch import nn
        from suite.diagnostics import DiagnosticsRecorder
        critic = nn.Sequential(*[nn.Linear(32, 32) for _ in range(6)], nn.Linear(32, 1))
        x = torch.randn(16, 32)
        loss = lambda r, f: f.mean() - r.mean()
        rec = DiagnosticsRecorder(critic, loss, x, x + 1, {str(tmp_path)!r}, hist_bins=301)
        step = 0
        while True:
            rec.record(step)
            step += 1
    """)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=os.getcwd())
    try:
        deadline = time.time() + 20
        path = tmp_path / "weights.csv"
        while time.time() < deadline and (not path.exists() or path.stat().st_size < 40_000):
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    for name, width in (("layers.csv", 8), ("weights.csv", 4)):
        text = (tmp_path / name).read_text()
        assert text.endswith("\n")
        assert all(len(line.split(",")) == width for line in text.splitlines())
    layers = pd.read_csv(tmp_path / "layers.csv")
    assert len(layers) >= 7 and (layers.groupby("step").size() == 7).all()
    weights = pd.read_csv(tmp_path / "weights.csv")
    assert (weights.groupby("step").size() == 301).all()


def test_input_grads_csv_holds_the_weight_norm_of_a_linear_critic(tmp_path, probes):
    critic = nn.Sequential(nn.Flatten(), nn.Linear(64, 1), Squeeze())
    with DiagnosticsRecorder(critic, wasserstein, *probes, tmp_path, hist_bins=3) as recorder:
        recorder.record(0)
        with torch.no_grad():
            critic[1].weight.mul_(2)
        recorder.record(5)
    grads = pd.read_csv(tmp_path / "input_grads.csv")
    assert tuple(grads.columns) == INPUT_GRAD_COLUMNS
    assert grads.split.tolist() == ["real", "fake", "real", "fake"]
    norm = float(critic[1].weight.detach().double().norm())  # D(x) = w.x + b: ||grad|| = ||w|| everywhere
    for column in ("grad_norm_mean", "grad_norm_max"):
        assert grads[column].tolist() == pytest.approx([norm / 2] * 2 + [norm] * 2, rel=1e-6)


def test_spectra_csv_holds_every_singular_value_of_every_layer(tmp_path, probes):
    torch.manual_seed(0)
    critic = bn_sn_critic()
    with DiagnosticsRecorder(critic, wasserstein, *probes, tmp_path, hist_bins=3) as recorder:
        recorder.record(0)
        recorder.record(10)
    spectra = pd.read_csv(tmp_path / "spectra.csv")
    assert tuple(spectra.columns) == SPECTRA_COLUMNS
    # conv 4 x 9, conv 8 x 36, linear 1 x 128: min(out, in) values each
    assert spectra.groupby(["step", "layer_index"]).size().tolist() == [4, 8, 1] * 2
    for index, layer in enumerate((critic[0].weight_orig, critic[3].weight, critic[8].weight_orig)):
        w = layer.detach().double().numpy()
        rows = spectra[(spectra.step == 10) & (spectra.layer_index == index)].sort_values("index")
        np.testing.assert_allclose(rows.singular_value, np.linalg.svd(w.reshape(w.shape[0], -1), compute_uv=False),
                                   rtol=1e-12)
    layers = pd.read_csv(tmp_path / "layers.csv")
    first = spectra[spectra["index"] == 0].sort_values(["step", "layer_index"])
    np.testing.assert_allclose(first.singular_value, layers.sort_values(["step", "layer_index"]).sigma_exact,
                               rtol=1e-9)


def test_resume_cuts_input_grads_and_spectra_back_too(tmp_path, probes):
    critic = bn_sn_critic()
    record_steps(critic, probes, tmp_path, [0, 10, 20])
    record_steps(critic, probes, tmp_path, [30], resume_step=10)
    assert pd.read_csv(tmp_path / "input_grads.csv").groupby("step").size().to_dict() == {0: 2, 10: 2, 30: 2}
    assert pd.read_csv(tmp_path / "spectra.csv").groupby("step").size().to_dict() == {0: 13, 10: 13, 30: 13}


@pytest.mark.parametrize("hidden", [(), (64, 64)], ids=["linear", "relu-mlp"])
def test_the_claims_read_a_spectrally_normalized_critic_within_its_bound(tmp_path, hidden):
    """The recorder's files, read by the claims' statistics: an SN critic's input gradient stays under the
    product of its sigmas, and a one-layer (dense, linear) critic attains it."""
    torch.manual_seed(0)
    widths = (2, *hidden, 1)
    modules = []
    for width_in, width_out in zip(widths[:-1], widths[1:]):
        modules += [spectral_norm(nn.Linear(width_in, width_out)), nn.ReLU()]
    critic = nn.Sequential(*modules[:-1], Squeeze())
    real, fake = torch.randn(64, 2), torch.randn(64, 2) + 1
    with torch.no_grad():
        for _ in range(50):
            critic(real)
    (tmp_path / "run.yaml").write_text(yaml.safe_dump({"data": "toy-swissroll", "seed": 0}))
    with DiagnosticsRecorder(critic, wasserstein, real, fake, tmp_path / "diagnostics") as recorder:
        recorder.record(5)
    run = RunOutputs.load(tmp_path)
    if hidden:
        assert input_gradient_over_bound(run) < 0
    else:
        assert input_gradient_over_bound(run) == pytest.approx(0.0, abs=1e-6)
        assert effective_rank_fraction(run) == pytest.approx(1.0)  # one singular value: a flat spectrum
