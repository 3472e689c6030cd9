# Training: one job per run; resumes from the run's checkpoint.pt (deliberately not a
# declared output, so Snakemake never deletes it when it reruns an incomplete job).


rule train_run:
    input:
        unpack(curve_inputs),
        spec=spec_file,
        data=lambda w: data_inputs(w.data),
    output:
        summary=f"{RUN_DIR}/train.json",
        generator=f"{RUN_DIR}/generator.pt",
        samples=report(f"{RUN_DIR}/samples.png", caption="../report/samples.rst", category="Samples",
                       labels={"run": RunSpec.format_run_id("{data}", "{arch}", "{method}", "{seed}")}),
    log:
        f"{RUN_DIR}/train.log",
    params:
        curve=curve_args,
    threads: lambda w: run_spec(w).threads
    resources:
        mem_mb=3000,
        runtime=240,
    shell:
        "python -m suite train --spec {input.spec} --threads {threads} "
        "--out $(dirname {input.spec}) {params.curve} 2> {log}"
