# Study resolution and the paths every rule shares.
import sys

from suite.config import resolve_study, study_config_for_snakemake, write_resolved_study
from suite.errors import ConfigError

try:
    STUDY = resolve_study(
        study_config_for_snakemake(config, workflow.overwrite_configfiles, workflow.config_settings.overwrite_config)
    )
except ConfigError as error:
    sys.exit(f"ganbench: {error}")

EXP = STUDY.experiment
STUDY_FILE = str(write_resolved_study(STUDY))
CACHE = "results/cache"
RUN_DIR = "results/{exp}/runs/{data}/{arch}/{method}/seed{seed}"
DOMAIN = STUDY.config["domain_classifier"]
OFFLINE_INCEPTION = STUDY.config["evaluate"]["inception_weights"] == "offline"
DOMAIN_KEY = f"s{DOMAIN['seed']}-e{DOMAIN['epochs']}" + (f"-n{DOMAIN['n_train']}" if DOMAIN["n_train"] else "")


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


def run_id(wildcards):
    return f"{wildcards.data}/{wildcards.arch}/{wildcards.method}/seed{wildcards.seed}"


def is_image_data(data):
    from suite.data import DATASETS

    return DATASETS[data].kind == "image"


def run_path(spec, name):
    return f"{spec.directory()}/{name}"


def report_path():
    return f"results/{EXP}/report/index.html"


def inception_weights():
    return f"{CACHE}/inception/offline-fid-helper.pth"


def domain_classifier(data):
    return f"{CACHE}/domain/{data}/classifier-{DOMAIN_KEY}.pt"


def reference_stats(data, split, extractor, n):
    """extractor: "inception" or "domain" (keyed by the classifier's settings)."""
    key = "inception" if extractor == "inception" else f"domain-{DOMAIN_KEY}"
    return f"{CACHE}/reference/{data}/{split}-{key}-n{n}.npz"


def data_inputs(data):
    """The fetch marker when an image data set is not on disk yet (none for installed or generated sets)."""
    from suite.data import is_available

    if is_available(data, STUDY.config["data_root"]):
        return []
    return [f"{STUDY.config['data_root'] or 'data'}/.{data}.fetched"]
