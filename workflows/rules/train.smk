# Training: one job per run; resumes from the run's checkpoint.pt (deliberately not a
# declared output, so Snakemake never deletes it when it reruns an incomplete job).


def curve_inputs(wildcards):
    spec = run_spec(wildcards)
    if not (spec.train["eval_every"] and spec.evaluate["domain"] and is_image_data(spec.data)):
        return {}
    return {
        "classifier": domain_classifier(spec.data),
        "domain_ref": reference_stats(spec.data, spec.evaluate["ref_split"], "domain", spec.evaluate["n_ref"]),
    }


def curve_args(wildcards, input):
    if "classifier" not in input.keys():
        return ""
    return f"--domain-classifier {input.classifier} --domain-ref {input.domain_ref}"


rule train_run:
    input:
        unpack(curve_inputs),
        study=STUDY_FILE,
        data=lambda w: data_inputs(w.data),
    output:
        summary=f"{RUN_DIR}/train.json",
        generator=f"{RUN_DIR}/generator.pt",
        samples=report(f"{RUN_DIR}/samples.png", caption="../report/samples.rst", category="Samples",
                       labels={"run": "{data}/{arch}/{method}/seed{seed}"}),
    log:
        f"{RUN_DIR}/train.log",
    benchmark:
        f"{RUN_DIR}/train.benchmark.tsv"
    params:
        run=run_id,
        curve=curve_args,
    threads: lambda w: run_spec(w).threads
    resources:
        mem_mb=3000,
        runtime=240,
    shell:
        "python -m suite train --study {input.study} --run {params.run} --threads {threads} "
        "--out results/{wildcards.exp}/runs/{params.run} {params.curve} 2> {log}"
