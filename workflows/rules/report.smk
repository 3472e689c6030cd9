# Aggregation and the report; one target rule per method (wgan_gp, sngan, ...).
from suite.report.kinds import FIGURE_HEADINGS, KINDS


rule collect_runs:
    input:
        metrics=lambda w: list(dict.fromkeys(all_metrics() + sequential_metrics())),
        study=STUDY_FILE,
    output:
        runs=report(f"{REPORT_DIR}/runs.csv", caption="../report/runs.rst", category="Tables"),
    log:
        f"{REPORT_DIR}/collect.log",
    shell:
        "python -m suite collect --study {input.study} --out {output.runs} {input.metrics} 2> {log}"


rule measure_part_costs:
    input:
        base=f"{REPORT_DIR}/part_costs/{{arch}}.base.yaml",
        data=lambda w: data_inputs(arch_data(w.arch)),
    output:
        costs=f"{REPORT_DIR}/part_costs/{{arch}}.json",
    log:
        f"{REPORT_DIR}/part_costs/{{arch}}.log",
    threads: STUDY.config["threads"]
    resources:
        mem_mb=3000,
        runtime=30,
    shell:
        "python -m suite part-costs --base {input.base} --threads {threads} "
        "--out {output.costs} 2> {log}"


rule build_report:
    input:
        runs=f"{REPORT_DIR}/runs.csv",
        floors=real_floors(),
        part_costs=part_cost_files(),
        critic_fits=critic_fits(),
        decisions=final_decisions(),
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
    params:
        part_costs=lambda w, input: " ".join(f"--part-costs {path}" for path in input.part_costs),
        decisions=lambda w, input: f"--decisions {input.decisions[0]}" if input.decisions else "",
    shell:
        "python -m suite report --study {input.study} --runs {input.runs} "
        "--out-dir results/{wildcards.exp}/report {input.floors} "
        "{params.part_costs} {params.decisions} 2> {log}"


for _method in STUDY.method_names():

    rule:
        name:
            _method.replace("-", "_").replace("+", "_")
        input:
            all_metrics(_method),
