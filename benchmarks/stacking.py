"""Several seeds of a small net as one vectorized model: what it would save over training them one by one.

The critic of a cell's seeds, stacked with `torch.func.stack_module_state` and run under `vmap`
(`functional_call` of one copy on the meta device), against the same critics called one after another:
forward + backward of a batch per seed, CPU time of this process, interleaved, median. The nets are the
small ones of the studies: the dcgan arch at width 8 (32 x 32 images, batch 64) and WGAN-GP's toy-script
MLP (4 layers of 512, 2-d points, batch 256). Neither has batch norm, whose running statistics vmap
cannot update in place.
"""

from __future__ import annotations

import copy
import time

import torch
from torch.func import functional_call, stack_module_state, vmap

from benchmarks.peer import count_flops
from benchmarks.timing import median
from suite.costs import interleaved
from suite.methods import resolve_method
from suite.models import build_models
from suite.train import BatchSampler, step_context, train_iteration

# name -> (arch, data shape, latent dim, batch)
NETS = {
    "dcgan8": ({"family": "dcgan", "width": 8}, (1, 32, 32), 128, 64),
    "toy-script": ({"family": "mlp", "depth": 4, "width": 512}, (2,), 2, 256),
}
PRESET = "wgan-gp"


def measure(net: str, seeds: int, repeats: int) -> dict:
    arch, shape, latent_dim, batch = NETS[net]
    spec = resolve_method(PRESET, arch["family"])
    critics = []
    for seed in range(seeds):
        torch.manual_seed(seed)
        critics.append(build_models(arch, spec, shape, latent_dim)[1])
    inputs = torch.randn(seeds, batch, *shape, generator=torch.Generator().manual_seed(0))
    params, buffers = stack_module_state(critics)
    template = copy.deepcopy(critics[0]).to("meta")

    def one_by_one():
        for critic, x in zip(critics, inputs):
            critic(x).sum().backward()

    def stacked():
        scores = vmap(lambda p, b, x: functional_call(template, (p, b), (x,)))(params, buffers, inputs)
        scores.sum().backward()

    seconds = interleaved({"one_by_one": one_by_one, "stacked": stacked}, repeats, clock=time.process_time)
    row = {"net": net, "seeds": seeds, "batch_size": batch, "repeats": repeats,
           **{f"{name}_cpu_seconds": median(values) for name, values in seconds.items()}}
    row["speedup"] = row["one_by_one_cpu_seconds"] / row["stacked_cpu_seconds"]
    return row


def iteration_rate(net: str, iterations: int, repeats: int) -> dict:
    """One seed's whole training iteration (n_dis critic steps + a generator step): CPU seconds and the
    GFLOP/s of its conv and linear FLOPs, to show how close to the CPU's peak a small net already runs."""
    arch, shape, latent_dim, batch = NETS[net]
    spec = resolve_method(PRESET, arch["family"])
    torch.manual_seed(0)
    generator, critic = build_models(arch, spec, shape, latent_dim)
    ctx = step_context(spec, generator, critic, latent_dim, torch.device("cpu"))
    sampler = BatchSampler(torch.randn(4 * batch, *shape, generator=torch.Generator().manual_seed(0)), batch, 0)

    def iterate():
        return train_iteration(ctx, sampler, batch, torch.device("cpu"))

    seconds = median(interleaved({"step": lambda: [iterate() for _ in range(iterations)]}, repeats,
                                 clock=time.process_time)["step"]) / iterations
    gflop = count_flops(iterate) / 1e9
    return {"net": net, "cpu_seconds_per_iteration": seconds, "gflop_per_iteration": gflop,
            "gflops": gflop / seconds}


def stacking_section(seeds: tuple[int, ...] = (3, 8), repeats: int = 5, iterations: int = 5) -> dict:
    """Speed-up of the stacked critic over one-by-one critics, per small net x number of seeds, and each
    net's achieved GFLOP/s in a whole iteration."""
    return {"preset": PRESET, "threads": torch.get_num_threads(),
            "rows": [measure(net, n, repeats) for net in NETS for n in seeds],
            "iterations": [iteration_rate(net, iterations, repeats) for net in NETS]}
