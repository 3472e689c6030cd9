# Aggregation and the report; one target rule per method (wgan_gp, sngan, ...).
import os

from snakemake.logging import logger

from suite.report.build import FIGURE_HEADINGS
from suite.report.figures import KINDS

REPORT_DIR = "results/{exp}/report"


rule collect_runs:
    input:
        metrics=all_metrics(),
        study=STUDY_FILE,
    output:
        runs=report(f"{REPORT_DIR}/runs.csv", caption="../report/runs.rst", category="Tables"),
    log:
        f"{REPORT_DIR}/collect.log",
    shell:
        "python -m suite collect --study {input.study} --out {output.runs} {input.metrics} 2> {log}"


rule build_report:
    input:
        runs=f"{REPORT_DIR}/runs.csv",
        floors=real_floors(),
        study=STUDY_FILE,
    output:
        html=report(f"{REPORT_DIR}/index.html", caption="../report/index.rst", category="Report"),
        tables=report(directory(f"{REPORT_DIR}/tables"), patterns=["{table}.html"],
                      caption="../report/tables.rst", category="Tables", labels={"table": "{table}"}),
        **{
            f"figures_{kind}": report(directory(f"{REPORT_DIR}/figures/{kind}"), patterns=["{figure}.png"],
                                      caption=f"../report/{kind}.rst", category="Figures",
                                      subcategory=FIGURE_HEADINGS[kind], labels={"figure": "{figure}"})
            for kind in KINDS
        },
    log:
        f"{REPORT_DIR}/report.log",
    shell:
        "python -m suite report --study {input.study} --runs {input.runs} "
        "--out-dir results/{wildcards.exp}/report {input.floors} 2> {log}"


def report_in_dag():
    return any(job.rule.name == "build_report" for job in workflow.dag.jobs)


def partial_report():
    """The report of the runs that finished, listing the others as missing (after --keep-going)."""
    out = REPORT_DIR.format(exp=EXP)
    missing = [os.path.dirname(path) for path in all_metrics() if not os.path.exists(path)]
    logger.warning(f"ganbench: {len(missing)} runs have no metrics.json: {', '.join(missing) or 'none'}")
    floors = " ".join(path for path in real_floors() if os.path.exists(path))
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


# Snakemake never runs a job whose input failed, so under --keep-going the report rule cannot
# run once a run has failed: this handler, run after every job that could run has finished,
# builds it instead. Without --keep-going a failure leaves no report.
onerror:
    if workflow.execution_settings.keep_going and report_in_dag():
        partial_report()


for _method in STUDY.method_names():

    rule:
        name:
            _method.replace("-", "_").replace("+", "_")
        input:
            all_metrics(_method),
