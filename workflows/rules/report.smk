# Aggregation and the report; one target rule per method (wgan_gp, sngan, ...).


rule collect_runs:
    input:
        metrics=all_metrics(),
        study=STUDY_FILE,
    output:
        runs="results/{exp}/report/runs.csv",
    log:
        "results/{exp}/report/collect.log",
    shell:
        "python -m suite collect --study {input.study} --out {output.runs} {input.metrics} 2> {log}"


rule build_report:
    input:
        runs="results/{exp}/report/runs.csv",
        floors=real_floors(),
        study=STUDY_FILE,
    output:
        html=report("results/{exp}/report/index.html", caption="../report/workflow.rst", category="Report"),
    log:
        "results/{exp}/report/report.log",
    shell:
        "python -m suite report --study {input.study} --runs {input.runs} "
        "--out-dir results/{wildcards.exp}/report {input.floors} 2> {log}"


for _method in STUDY.method_names():

    rule:
        name:
            _method.replace("-", "_").replace("+", "_")
        input:
            all_metrics(_method),
