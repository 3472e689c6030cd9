"""WGAN-GP section 5.1 random architectures: seeded draws, the factors they record, how a draw's
"normalize" meets the method's norms, and the depth each draw asks for."""
import jsonschema
import pytest
import torch
from torch import nn

from suite.errors import ConfigError
from suite.methods import resolve_method
from suite.models import arch_json_schema, build_models, resolve_arch
from suite.models.layers import count_weight_layers
from suite.models.random_arch import (DEPTHS, FILTERS, NONLINEARITIES, ShiftedSoftplus, draw_factors,
                                      extra_layers_per_stage)

SHAPE = (1, 32, 32)


def shapes(model):
    return [tuple(p.shape) for p in model.parameters()]


def build(draw, preset="wgan-gp", divisor=16):
    torch.manual_seed(0)
    return build_models({"family": "random", "draw": draw, "width_divisor": divisor},
                        resolve_method({"preset": preset}), SHAPE, latent_dim=8)


def test_draw_zero_is_pinned():
    # random.Random("wgan-gp-5.1/0").random() is stable across Python versions: a changed value
    # here means every published draw changed.
    assert draw_factors(0) == {"g_nonlinearity": "tanh", "g_depth": 8, "g_normalize": "yes", "g_filters": 32,
                               "d_nonlinearity": "relu", "d_depth": 12, "d_normalize": "no", "d_filters": 128}


def test_same_draw_same_nets_on_two_builds_and_across_methods():
    for draw in range(6):
        g1, d1 = build(draw, "wgan-gp")
        g2, d2 = build(draw, "wgan-gp")
        g3, d3 = build(draw, "dcgan-bn")
        assert shapes(g1) == shapes(g2) == shapes(g3)
        # the critic differs across methods only in the kind of norm (ln vs bn), never in its weights
        weights = lambda m: [s for name, s in zip(dict(m.named_parameters()), shapes(m))
                             if "weight" in name and len(s) > 1]
        assert weights(d1) == weights(d2) == weights(d3)
        assert resolve_arch({"family": "random", "draw": draw})[1] == \
            resolve_arch({"family": "random", "draw": draw})[1]


def test_draws_cover_the_space_with_roughly_equal_frequencies():
    draws = [draw_factors(k) for k in range(400)]
    for net in ("g", "d"):
        assert {d[f"{net}_depth"] for d in draws} == set(DEPTHS)
        assert {d[f"{net}_filters"] for d in draws} == set(FILTERS)
        assert {d[f"{net}_nonlinearity"] for d in draws} == set(NONLINEARITIES)
        yes = sum(d[f"{net}_normalize"] == "yes" for d in draws)
        assert 150 < yes < 250  # binomial(400, 1/2): 200 +- 5 SD
    # G and D are drawn apart: their depths agree about a quarter of the time, not always
    same = sum(d["g_depth"] == d["d_depth"] for d in draws)
    assert 60 < same < 140


def test_factors_are_recorded_in_the_resolved_arch_and_checked_back():
    _, params = resolve_arch({"family": "random", "draw": 0, "width_divisor": 4})
    assert params == {"draw": 0, "width_divisor": 4, **draw_factors(0)}
    # the resolved arch (what run.yaml holds) resolves again to itself and fits the schema
    assert resolve_arch({"family": "random", **params})[1] == params
    jsonschema.validate({"family": "random", **params}, arch_json_schema())
    with pytest.raises(ConfigError, match="g_depth=20 contradicts the params, which give 8"):
        resolve_arch({"family": "random", "draw": 0, "g_depth": 20})
    with pytest.raises(ConfigError, match="arch key.*width unknown for family random"):
        resolve_arch({"family": "random", "width": 8})


@pytest.mark.parametrize("draw", range(8))
def test_depth_and_filters_are_the_drawn_ones(draw):
    factors = draw_factors(draw)
    generator, critic = build(draw, divisor=16)
    assert count_weight_layers(generator) == factors["g_depth"]
    assert count_weight_layers(critic) == factors["d_depth"]
    # the generator's 4x4 map and the critic's last stage have 4 x filters / divisor channels
    assert generator[0].out_features == 16 * 4 * factors["g_filters"] // 16
    assert critic[-2].in_features == 16 * 4 * factors["d_filters"] // 16
    images = generator(torch.randn(2, 8))
    assert images.shape == (2, *SHAPE) and critic(images).shape == (2,)


def test_extra_layers_go_to_the_smallest_maps_first():
    assert extra_layers_per_stage(4) == [0, 0, 0]
    assert extra_layers_per_stage(8) == [2, 1, 1]
    assert extra_layers_per_stage(12) == [3, 3, 2]
    assert extra_layers_per_stage(20) == [6, 5, 5]


def norms(model):
    return {type(m).__name__ for m in model.modules()
            if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm, nn.LayerNorm))}


def find_draw(**wanted):
    return next(k for k in range(200) if all(draw_factors(k)[key] == value for key, value in wanted.items()))


def test_normalized_critic_takes_layer_norm_under_a_gradient_penalty_and_batch_norm_otherwise():
    draw = find_draw(d_normalize="yes", g_normalize="yes")
    assert norms(build(draw, "wgan-gp")[1]) == {"GroupNorm"}      # d_norm none + gp -> layer norm
    assert norms(build(draw, "wgan-gp-fd")[1]) == {"GroupNorm"}
    assert norms(build(draw, "wgan-wc")[1]) == {"BatchNorm2d"}    # d_norm none, clipping -> batch norm
    assert norms(build(draw, "dcgan-bn")[1]) == {"BatchNorm2d"}   # the method's own bn
    assert norms(build(draw, "wgan-gp-ln")[1]) == {"GroupNorm"}   # the method's own ln
    assert norms(build(draw, "wgan-gp")[0]) == {"BatchNorm2d"}    # a normalized G: batch norm


def test_unnormalized_draw_has_no_feature_norm_even_for_a_batch_norm_method():
    draw = find_draw(d_normalize="no", g_normalize="no")
    generator, critic = build(draw, "dcgan-bn")
    assert norms(generator) == set() and norms(critic) == set()


def test_shifted_softplus_closed_form():
    x = torch.tensor([-1.0, 0.0, 3.0])
    expected = torch.log1p(torch.exp(2 * x + 2)) / 2 - 1
    torch.testing.assert_close(ShiftedSoftplus()(x), expected)
    assert ShiftedSoftplus()(torch.tensor([-50.0])).item() == pytest.approx(-1.0)


def test_a_study_records_the_drawn_factors_in_each_runs_arch():
    from suite.config import load_yaml, resolve_study

    raw = load_yaml("configs/smoke.yaml")
    raw["archs"] = {"r3": {"family": "random", "draw": 3, "width_divisor": 32}}
    raw["grids"] = [{"data": ["fashion32"], "archs": ["r3"], "methods": ["wgan-gp", "dcgan-bn"], "seeds": [0]}]
    raw.get("report", {}).pop("part_costs", None)
    runs = list(resolve_study(raw).runs)
    assert len(runs) == 2
    for run in runs:
        assert run.arch == {"family": "random", "draw": 3, "width_divisor": 32, **draw_factors(3)}
