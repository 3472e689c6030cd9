import logging

import torch
from torch import nn

from suite.diagnostics import critic_layers, preserved_state
from suite.methods import spectral_norm


class ResidualCritic(nn.Module):
    """Registration order (head, shortcut, branch, stem) differs from execution order."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(8, 1)
        self.shortcut = nn.Conv2d(4, 8, 1)
        self.branch = nn.Sequential(nn.Conv2d(4, 8, 3, padding=1), nn.ReLU(),
                                    nn.Conv2d(8, 8, 3, padding=1))
        self.stem = nn.Conv2d(1, 4, 3, padding=1)

    def forward(self, x):
        h = torch.relu(self.stem(x))
        h = self.branch(h) + self.shortcut(h)
        return self.head(h.mean(dim=(2, 3))).squeeze(1)


def test_sequential_layers_in_order():
    critic = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 16), nn.LayerNorm(16),
                           nn.Linear(16, 1))
    names = [name for name, _ in critic_layers(critic, torch.randn(4, 2))]
    assert names == ["0", "2", "4"]


def test_nested_residual_layers_in_execution_order():
    critic = ResidualCritic()
    registered = [n for n, m in critic.named_modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert registered == ["head", "shortcut", "branch.0", "branch.2", "stem"]
    layers = critic_layers(critic, torch.randn(2, 1, 6, 6))
    assert [name for name, _ in layers] == ["stem", "branch.0", "branch.2", "shortcut", "head"]
    assert layers[0][1] is critic.stem


def test_layer_run_twice_is_listed_once_at_first_execution():
    class Shared(nn.Module):
        def __init__(self):
            super().__init__()
            self.out = nn.Linear(4, 1)
            self.shared = nn.Linear(4, 4)
            self.mid = nn.Linear(4, 4)

        def forward(self, x):
            return self.out(self.shared(self.mid(self.shared(x)))).squeeze(1)

    names = [name for name, _ in critic_layers(Shared(), torch.randn(3, 4))]
    assert names == ["shared", "mid", "out"]


def test_unexecuted_layer_is_left_out_with_warning(caplog):
    class Dead(nn.Module):
        def __init__(self):
            super().__init__()
            self.unused = nn.Linear(3, 3)
            self.used = nn.Linear(3, 1)

        def forward(self, x):
            return self.used(x).squeeze(1)

    with caplog.at_level(logging.WARNING):
        names = [name for name, _ in critic_layers(Dead(), torch.randn(2, 3))]
    assert names == ["used"]
    assert "unused" in caplog.text


def test_spectral_normed_layers_are_found():
    critic = nn.Sequential(spectral_norm(nn.Conv2d(1, 4, 3)), nn.LeakyReLU(0.1),
                           nn.Flatten(), spectral_norm(nn.Linear(4 * 4 * 4, 1)))
    assert [name for name, _ in critic_layers(critic, torch.randn(2, 1, 6, 6))] == ["0", "3"]


def test_preserved_state_restores_buffers_attributes_and_rng():
    critic = nn.Sequential(spectral_norm(nn.Linear(3, 8)), nn.BatchNorm1d(8), nn.Dropout(0.5),
                           nn.Linear(8, 1)).train()
    x = torch.randn(16, 3)
    critic(x)  # populate running stats and SN state
    before = {k: v.clone() for k, v in critic.state_dict().items()}
    weight_attr = critic[0].weight
    rng = torch.get_rng_state()
    with preserved_state(critic):
        for _ in range(3):
            critic(x)
        # the forward really changes what must be restored
        assert not torch.equal(critic[1].running_mean, before["1.running_mean"])
        assert not torch.equal(critic[0].weight_u, before["0.weight_u"])
        assert not torch.equal(torch.get_rng_state(), rng)
        assert critic[0].weight is not weight_attr
    after = critic.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert critic[0].weight is weight_attr
    assert torch.equal(torch.get_rng_state(), rng)
