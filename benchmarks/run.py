"""`python -m benchmarks.run`: measure the suite against bare PyTorch; write results/bench/*.json and print a table.

Sections: training (suite vs bare loop per preset x arch), peer (suite vs torch-mimicry on the SN-GAN ResNet,
with GFLOP/s against the CPU's peak), parts (cost of clip / gp / gp-fd / sn vs no constraint), formats (fp32 vs
channels_last vs bf16 autocast, and images/s per batch size), stacking (a small net's seeds as one vmapped
model vs one by one), memory (peak RSS and s/it of the 101-layer ResNet
job), inception, domain, studies (smoke study wall time per cores split; default-study estimate), overhead
(the smoke study's CPU time outside training and scoring steps, peak RSS per job, start-up costs).
`--quick` measures few presets and steps; `--study NAME` also times a whole study (the default one
took 84 min on 2 cores).
"""

from __future__ import annotations

import argparse
import logging
from pathlib import Path


from suite import io, runtime
from suite.config import REPO_ROOT
from suite.methods import PRESETS

from benchmarks import extraction, memory, overhead, peer, stacking, studies, training
from benchmarks.table import render
from benchmarks.timing import environment

SECTIONS = ("training", "peer", "parts", "formats", "stacking", "memory", "inception", "domain", "studies", "overhead")
# Sections that run whole studies or jobs of minutes: not in --quick.
SLOW_SECTIONS = ("memory", "studies", "overhead")
QUICK_PRESETS = ["dcgan-bn", "wgan-gp"]
DEFAULT_STUDY = REPO_ROOT / "configs" / "default.yaml"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true",
                        help="dcgan-bn and wgan-gp on the dcgan arch, 1 iteration x 3 repeats, no studies")
    parser.add_argument("--sections", nargs="+", choices=SECTIONS,
                        help="default: all (quick: all but memory, studies and overhead)")
    parser.add_argument("--presets", nargs="+", choices=list(PRESETS), help="default: every preset")
    parser.add_argument("--config", type=Path, default=DEFAULT_STUDY,
                        help="study whose archs (widths, data, batch) the training section times")
    parser.add_argument("--device", default="cpu", choices=["cpu", "cuda"], help="device of the training section")
    parser.add_argument("--archs", nargs="+", help="arch names of that study (default: all)")
    parser.add_argument("--iterations", type=int, help="generator iterations per timed call (default 2; quick 1)")
    parser.add_argument("--repeats", type=int, help="interleaved repeats, median reported (default 5; quick 3)")
    parser.add_argument("--batch-size", type=int, help="override the study's training batch size")
    parser.add_argument("--format-batches", nargs="+", type=int, default=[32, 64, 128],
                        help="batch sizes whose images/s the formats section compares")
    parser.add_argument("--inception-n", type=int, default=128, help="images through Inception per repeat")
    parser.add_argument("--inception-batch", type=int, default=32)
    parser.add_argument("--domain-n", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=2, help="torch threads of the in-process sections")
    parser.add_argument("--smoke", default="configs/smoke.yaml", help="study timed by the studies section")
    parser.add_argument("--splits", nargs="+", choices=[name for name, _, _ in studies.SPLITS],
                        help="cores x threads splits the studies section times (default: all)")
    parser.add_argument("--peer-widths", nargs="+", type=int,
                        help="generator and critic channels of the peer section, in pairs (default 256 128 64 32; "
                             "quick: 64 32); it times 1 iteration per call")
    parser.add_argument("--memory-iterations", type=int, default=2, help="timed iterations of each memory job")
    parser.add_argument("--memory-scoring-n", type=int, default=memory.SCORING_N,
                        help="images of the memory section's Inception reference and of the set scored against it")
    parser.add_argument("--study", help="also time `snakemake --cores 2 all` on configs/NAME.yaml")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "bench")
    args = parser.parse_args(argv)
    quick = args.quick
    args.sections = args.sections or [s for s in SECTIONS if not (quick and s in SLOW_SECTIONS)]
    args.presets = args.presets or (QUICK_PRESETS if quick else list(PRESETS))
    args.archs = args.archs or (["dcgan"] if quick else None)
    args.iterations = args.iterations or (1 if quick else 2)
    args.repeats = args.repeats or (3 if quick else 5)
    if args.peer_widths is None:
        args.peer_widths = list(peer.WIDTHS[-1:] if quick else peer.WIDTHS)
    elif len(args.peer_widths) % 2:
        parser.error("--peer-widths takes pairs: generator channels, critic channels")
    else:
        args.peer_widths = list(zip(args.peer_widths[::2], args.peer_widths[1::2]))
    return args


def run(args: argparse.Namespace) -> dict:
    runtime.set_threads(args.threads)
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / "cache"
    cache.mkdir(exist_ok=True)
    results: dict = {"environment": environment()}
    measures = {
        "training": lambda: training.training_section(args.config, args.presets, args.archs, args.iterations,
                                                      args.repeats, args.batch_size, args.device),
        "peer": lambda: peer.peer_section(args.presets, args.peer_widths, 1, args.repeats),
        "memory": lambda: memory.memory_section(DEFAULT_STUDY, args.memory_iterations, args.threads,
                                                args.memory_scoring_n, extraction.inception_weights(cache)),
        "overhead": lambda: studies.overhead_section(args.smoke, startup=overhead.startup_costs()),
        "parts": lambda: training.parts_section(DEFAULT_STUDY, args.iterations, args.repeats, args.batch_size),
        "formats": lambda: training.formats_section(args.config, args.presets, args.archs, args.iterations,
                                                    args.repeats, args.batch_size,
                                                    tuple(args.format_batches)),
        "stacking": lambda: stacking.stacking_section(repeats=args.repeats),
        "inception": lambda: extraction.inception_section(cache, args.inception_n, args.inception_batch,
                                                          args.repeats),
        "domain": lambda: extraction.domain_section(cache, args.domain_n, 500, args.repeats),
        "studies": lambda: studies.splits_section(args.smoke, [s for s in studies.SPLITS
                                                               if args.splits is None or s[0] in args.splits]),
    }
    for section in args.sections:
        logging.getLogger(__name__).info("benchmark section %s", section)
        results[section] = {**measures[section](), "environment": environment()}
        io.write_json(args.out / f"{section}.json", results[section])
    if "training" in results and not args.quick and args.config == DEFAULT_STUDY:
        results["default_estimate"] = studies.default_estimate(results["training"]["rows"], DEFAULT_STUDY)
        io.write_json(args.out / "default_estimate.json", results["default_estimate"])
    if args.study:
        results["study"] = {**studies.run_study(f"configs/{args.study}.yaml", cores=2), "environment": environment()}
        io.write_json(args.out / f"study-{args.study}.json", results["study"])
    results["environment"] = environment()
    return results


def main(argv=None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    results = run(parse_args(argv))
    print(render(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
