"""`python -m benchmarks.sequential`: the sequential design against the fixed one, by simulation.

Per scenario (a family of claims with given standardized effects, per-seed values normal or Student-t
with 3 df, or paired successes), the whole procedure (looks, Holm over looks, futility) runs `--reps`
times: the family-wise false-verdict rate, the claims decided per family, and the seeds per claim, beside
the fixed design at the last look's seeds. Prints a Markdown table and writes results/bench/sequential.json.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

from suite import io
from suite.claims.interim import simulate
from suite.config import REPO_ROOT
from suite.sequential import Design


def shifted(effect: float, noise: str):
    def draw(rng, n):
        values = rng.normal(0.0, 1.0, n) if noise == "normal" else rng.standard_t(3, n) / 3 ** 0.5
        return [effect + values]
    return draw


def pairs(only_first: float, only_second: float):
    def draw(rng, n):
        u = rng.random(4 * n)
        return [(u < only_first) | (u >= only_first + only_second), u >= only_first]
    return draw


SCENARIOS = {
    "null, normal, m 3": ("t", [shifted(0, "normal")] * 3, [True] * 3),
    "null, t3, m 3": ("t", [shifted(0, "t3")] * 3, [True] * 3),
    "null, McNemar, m 2": ("mcnemar", [pairs(0.3, 0.3)] * 2, [True] * 2),
    "effects 0/0.5/1/2/3/5 sd, normal": ("t", [shifted(d, "normal") for d in (0, 0.5, 1, 2, 3, 5)],
                                         [True] + [False] * 5),
    "effects 0/0/2/5/10 sd (near-deterministic), normal": ("t", [shifted(d, "normal") for d in (0, 0, 2, 5, 10)],
                                                          [True, True, False, False, False]),
}


def run(looks: list[tuple[int, ...]], reps: int, seed: int) -> pd.DataFrame:
    rows = []
    for design_looks in looks:
        design = Design(design_looks)
        for name, (test_kind, draws, nulls) in SCENARIOS.items():
            start = time.perf_counter()
            result = simulate(design, test_kind, draws, nulls, reps=reps, seed=seed)
            rows.append({"looks": "/".join(map(str, design_looks)), "scenario": name, "claims": len(draws),
                         "false rate": result.false_rate, "fixed false rate": result.fixed_false_rate,
                         "decided": result.decided, "fixed decided": result.fixed_decided,
                         "seeds per claim": result.seeds, "fixed seeds": result.fixed_seeds,
                         "seed share": result.seeds / result.fixed_seeds,
                         "open after each look": " / ".join(f"{share:.2f}" for share in result.open_after),
                         "seconds": time.perf_counter() - start})
    return pd.DataFrame(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sequential", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--looks", nargs="+", default=["3,6,12"], help="designs as comma-separated seed counts")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "results" / "bench" / "sequential.json")
    args = parser.parse_args(argv)
    table = run([tuple(int(n) for n in text.split(",")) for text in args.looks], args.reps, args.seed)
    io.write_json(args.out, {"reps": args.reps, "rows": table.to_dict(orient="records")})
    print(table.to_markdown(index=False, floatfmt=".3f"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
