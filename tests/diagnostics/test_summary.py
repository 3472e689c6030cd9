import math

import pytest
import torch
from torch import nn

from suite.diagnostics import DiagnosticsRecorder, gradient_norm_ratio, read_layers
from suite.methods import spectral_norm


def write_layers(path, rows):
    header = "step,layer_index,layer,kind,grad_output_norm,weight_grad_norm,sigma_exact,sigma_estimate\n"
    path.write_text(header + "".join(",".join(map(str, row)) + "\n" for row in rows))


def test_ratio_is_last_over_first_layer_at_step(tmp_path):
    path = tmp_path / "layers.csv"
    # rows out of layer order on purpose: the ratio is by layer_index, not by row position
    write_layers(path, [
        (0, 2, "out", "Linear", 8.0, 1, 1, ""), (0, 0, "in", "Linear", 2.0, 1, 1, ""),
        (0, 1, "mid", "Linear", 5.0, 1, 1, ""),
        (10, 0, "in", "Linear", 0.5, 1, 1, ""), (10, 1, "mid", "Linear", 1.0, 1, 1, ""),
        (10, 2, "out", "Linear", 4.0, 1, 1, ""),
    ])
    assert gradient_norm_ratio(path, step=0) == pytest.approx(4.0)
    assert gradient_norm_ratio(path) == pytest.approx(8.0)  # the last step, 10
    with pytest.raises(ValueError, match="no record at step 5"):
        gradient_norm_ratio(path, step=5)


def test_ratio_with_zero_first_layer_gradient(tmp_path):
    path = tmp_path / "layers.csv"
    write_layers(path, [(0, 0, "a", "Linear", 0.0, 1, 1, ""), (0, 1, "b", "Linear", 3.0, 1, 1, "")])
    assert gradient_norm_ratio(path) == math.inf


def test_ratio_of_recorded_linear_critic_is_product_of_weight_norms(tmp_path):
    """Scalar-width linear chain D(x) = c*b*a*x: dL/dh1 = +-c*b/n, dL/dh3 = +-1/n, ratio 1/|c*b|."""
    critic = nn.Sequential(*[nn.Linear(1, 1, bias=False) for _ in range(3)]).double()
    with torch.no_grad():
        for layer, w in zip(critic, (3.0, 0.5, -0.25)):
            layer.weight.fill_(w)
    real = torch.randn(6, 1, dtype=torch.float64)

    def loss(d_real, d_fake):
        return d_fake.mean() - d_real.mean()

    with DiagnosticsRecorder(critic, loss, real, real + 1, tmp_path) as recorder:
        recorder.record(7)
    assert gradient_norm_ratio(tmp_path / "layers.csv", step=7) == pytest.approx(1 / 0.125, rel=1e-9)


def test_read_layers_effective_sigma(tmp_path):
    torch.manual_seed(0)
    critic = nn.Sequential(spectral_norm(nn.Linear(4, 16)), nn.ReLU(), nn.Linear(16, 16),
                           nn.ReLU(), spectral_norm(nn.Linear(16, 1)))
    x = torch.randn(32, 4)
    with torch.no_grad():
        for _ in range(100):  # converge the power iteration
            critic(x)
    with DiagnosticsRecorder(critic, lambda r, f: f.mean() - r.mean(), x, x + 1, tmp_path) as rec:
        rec.record(0)
    frame = read_layers(tmp_path / "layers.csv")
    assert frame.layer.tolist() == ["0", "2", "4"]
    assert frame.sigma_effective[0] == pytest.approx(1.0, abs=1e-4)
    assert frame.sigma_effective[2] == pytest.approx(1.0, abs=1e-4)
    plain = torch.linalg.matrix_norm(critic[2].weight.detach(), 2)
    assert frame.sigma_effective[1] == pytest.approx(float(plain), rel=1e-6)
    assert frame.sigma_exact[0] > 1.05  # the raw weight itself is not normalized
