# Study resolution and the paths every rule shares.
import os
import sys

from snakemake.logging import logger

from suite import forkserver
from suite.config import (
    resolve_study,
    study_config_for_snakemake,
    write_cost_base,
    write_floor_protocol,
    write_own_datasets,
    write_resolved_study,
)
from suite.data import ROOT_VARIABLE, is_labelled, own_key
from suite.errors import ConfigError
from suite.runspec import RunSpec, inception_counts

try:
    _raw, _origin = study_config_for_snakemake(
        workflow.configfiles[-1], workflow.overwrite_configfiles, workflow.config_settings.overwrite_config
    )
    STUDY = resolve_study(_raw)
    # The report rules read the study file; a run reads only its own run.yaml, so a change to one
    # method or to a report option reruns only what it changes.
    STUDY_FILE = str(write_resolved_study(STUDY, _origin))
    for _spec in STUDY.runs:
        _spec.write()
    for _data in STUDY.data_names():
        write_floor_protocol(STUDY, _data)
    for _arch in STUDY.config["report"].get("part_costs", []):
        write_cost_base(STUDY, _arch)
    write_own_datasets(STUDY)
except ConfigError as error:
    print(f"ganbench: {error}", file=sys.stderr)
    sys.exit(2)

if STUDY.config["data_root"]:
    # The classifier, reference and real-data rules name no data folder: they read the study's from here.
    os.environ[ROOT_VARIABLE] = str(STUDY.config["data_root"])

EXP = STUDY.experiment
CACHE = "results/cache"
RUN_DIR = RunSpec.wildcard_directory()
REPORT_DIR = "results/{exp}/report"
DOMAIN = STUDY.config["domain_classifier"]
OFFLINE_INCEPTION = STUDY.config["evaluate"]["inception_weights"] == "offline"
DOMAIN_KEY = f"s{DOMAIN['seed']}-e{DOMAIN['epochs']}" + (f"-n{DOMAIN['n_train']}" if DOMAIN["n_train"] else "")
# The study's own data sets by their name in the shared cache (content hash and size in it).
OWN_DATA = {own_key(name, definition): name for name, definition in STUDY.datasets.items()}


wildcard_constraints:
    exp=r"[A-Za-z0-9_.-]+",
    data=r"[A-Za-z0-9_.-]+",
    arch=r"[A-Za-z0-9_.-]+",
    method=r"[A-Za-z0-9_.+-]+",
    seed=r"\d+",
    split=r"train|test",
    n=r"\d+",


def run_spec(wildcards):
    return STUDY.run(wildcards.data, wildcards.arch, wildcards.method, int(wildcards.seed))


def is_image_data(data):
    from suite.data import DATASETS

    return DATASETS[data].kind == "image"


def run_path(spec, role):
    return str(spec.path(role))


def spec_file(wildcards):
    return run_path(run_spec(wildcards), "spec")


def report_path():
    return f"results/{EXP}/report/index.html"


def inception_weights():
    return f"{CACHE}/inception/offline-fid-helper.pth"


def cache_name(data):
    """A data set's folder name in the shared cache: its name, or for the study's own its content key."""
    return own_key(data, STUDY.datasets[data]) if data in STUDY.datasets else data


def domain_classifier(data):
    return f"{CACHE}/domain/{cache_name(data)}/classifier-{DOMAIN_KEY}.pt"


def reference_stats(data, split, extractor, n):
    """extractor: "inception" or "domain" (keyed by the classifier's settings)."""
    key = "inception" if extractor == "inception" else f"domain-{DOMAIN_KEY}"
    return f"{CACHE}/reference/{cache_name(data)}/{split}-{key}-n{n}.npz"


def data_definition(cached):
    """The definition file of the study's own data set of that cache name (none for the shipped sets)."""
    return [f"{CACHE}/data/{cached}.yaml"] if cached in OWN_DATA else []


def data_inputs(data):
    """The fetch marker when an image data set is not on disk yet (none for installed, generated or own sets)."""
    from suite.data import fetch_root, is_available

    if data in OWN_DATA or data in OWN_DATA.values() or is_available(data, STUDY.config["data_root"]):
        return []
    return [f"{fetch_root(STUDY.config['data_root'])}/.{data}.fetched"]


def curve_inputs(wildcards):
    spec = run_spec(wildcards)
    if not (spec.train["eval_every"] and spec.evaluate["domain"] and is_image_data(spec.data)
            and is_labelled(spec.data)):
        return {}
    return {
        "classifier": domain_classifier(spec.data),
        "domain_ref": reference_stats(spec.data, spec.evaluate["ref_split"], "domain", spec.evaluate["n_ref"]),
    }


def curve_args(wildcards, input):
    if "classifier" not in input.keys():
        return ""
    return f"--domain-classifier {input.classifier} --domain-ref {input.domain_ref}"


def score_inputs(wildcards):
    spec = run_spec(wildcards)
    inputs = {"train": run_path(spec, "train"), "generator": run_path(spec, "generator"), "spec": run_path(spec, "spec")}
    return inputs | scoring_references(spec.data, spec.evaluate)


def scoring_references(data, evaluate):
    if not is_image_data(data):
        return {}
    refs = {}
    if evaluate["inception"]:
        if evaluate["inception_weights"] == "offline":
            refs["inception_weights"] = inception_weights()
        refs["inception_ref"] = reference_stats(data, evaluate["ref_split"], "inception", inception_counts(evaluate)[1])
    if evaluate["domain"] and is_labelled(data):
        refs["domain_classifier"] = domain_classifier(data)
        refs["domain_ref"] = reference_stats(data, evaluate["ref_split"], "domain", evaluate["n_ref"])
    return refs


def reference_args(wildcards, input):
    names = ("inception_weights", "inception_ref", "domain_classifier", "domain_ref")
    return " ".join(f"--{name.replace('_', '-')} {input[name]}" for name in names if name in input.keys())


def floor_inputs(wildcards):
    protocol = f"results/{wildcards.exp}/reference/{wildcards.data}/protocol.yaml"
    return {"protocol": protocol} | scoring_references(wildcards.data, STUDY.config["evaluate"])


def all_metrics(method=None):
    return [run_path(spec, "metrics") for spec in STUDY.runs if method in (None, spec.method_name)]


def critic_fits():
    """The critic fits of the toy runs (rule fit_critic), when the study asks for them."""
    if not STUDY.config["critic_fit"]["steps"]:
        return []
    return [run_path(spec, "critic_fit") for spec in STUDY.runs if not is_image_data(spec.data)]


def real_floors():
    """The real-data floor of the study's image and toy data: image metrics of held-out images, or the toy
    metrics of a second real sample at the toy scoring's size. Text runs score their floor themselves."""
    from suite.data import DATASETS

    return [f"results/{EXP}/reference/{data}/real_metrics.json" for data in STUDY.data_names()
            if DATASETS[data].kind in ("image", "toy")]


def part_cost_files():
    return [f"results/{EXP}/report/part_costs/{arch}.json" for arch in STUDY.config["report"].get("part_costs", [])]


def arch_data(arch):
    """The data set of the arch's first run: the one its part costs are measured on (write_cost_base)."""
    return next(spec.data for spec in STUDY.runs if spec.arch_name == arch)


def report_in_dag():
    return any(job.rule.name == "build_report" for job in workflow.dag.jobs)


def partial_report():
    """The report of the runs that finished, listing the others as missing (after --keep-going)."""
    out = REPORT_DIR.format(exp=EXP)
    missing = [os.path.dirname(path) for path in all_metrics() if not os.path.exists(path)]
    logger.warning(f"ganbench: {len(missing)} runs have no metrics.json: {', '.join(missing) or 'none'}")
    floors = " ".join(path for path in real_floors() if os.path.exists(path))
    floors += "".join(f" --part-costs {path}" for path in part_cost_files() if os.path.exists(path))
    os.makedirs(out, exist_ok=True)
    try:
        shell(
            f"python -m suite collect --missing-ok --study {STUDY_FILE} --out {out}/runs.csv 2> {out}/collect.log"
            f" && python -m suite report --study {STUDY_FILE} --runs {out}/runs.csv --out-dir {out} {floors}"
            f" 2> {out}/report.log"
        )
    except Exception as error:  # the handler must not mask the failure that called it
        logger.error(f"ganbench: the partial report failed ({error}); see {out}/collect.log and {out}/report.log")
        return
    # Dated to 1970, runs.csv is older than every metrics.json, so the next call reruns the missing
    # runs and the report (an up-to-date index.html would hide them); 1 s, as Snakemake reads 0 as no time.
    os.utime(f"{out}/runs.csv", (1, 1))
    logger.warning(f"ganbench: partial report {out}/index.html lists the {len(missing)} missing runs")


# One fork server per local run: each job's `python -m suite` forks it rather than importing torch anew
# (suite/forkserver.py). Jobs submitted to a cluster keep their own processes.
FORK_SERVER = {}


onstart:
    if workflow.local_exec and workflow.is_main_process:
        FORK_SERVER["server"] = forkserver.start()


def stop_fork_server():
    server = FORK_SERVER.pop("server", None)
    if server is not None:
        server.stop()


onsuccess:
    stop_fork_server()


# Snakemake never runs a job whose input failed, so under --keep-going the report rule cannot
# run once a run has failed: this handler, run after every job that could run has finished,
# builds it instead. Without --keep-going a failure leaves no report.
onerror:
    if workflow.execution_settings.keep_going and report_in_dag():
        partial_report()
    stop_fork_server()
