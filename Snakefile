# ganbench: train every method over seeds and architectures, score, diagnose, report.
# Study selection: configs/default.yaml, or --configfile configs/<study>.yaml,
# or --config experiment=<study>. Rules live in workflows/rules/.
from snakemake.utils import min_version

min_version("9.0")


configfile: "configs/default.yaml"


report: "workflows/report/workflow.rst"


include: "workflows/rules/common.smk"
include: "workflows/rules/data.smk"
include: "workflows/rules/train.smk"
include: "workflows/rules/evaluate.smk"
include: "workflows/rules/sequential.smk"
include: "workflows/rules/report.smk"


rule all:
    default_target: True
    input:
        report_path(),
