# Scoring: Inception FID/KID(/IS) and domain metrics per run, and the real-data floor.


def score_inputs(wildcards):
    spec = STUDY.run(wildcards.data, wildcards.arch, wildcards.method, int(wildcards.seed))
    inputs = {"train": run_path(spec, "train.json"), "generator": run_path(spec, "generator.pt"), "study": STUDY_FILE}
    return inputs | scoring_references(spec.data, spec.evaluate)


def scoring_references(data, evaluate):
    if not is_image_data(data):
        return {}
    refs = {}
    if evaluate["inception"]:
        if evaluate["inception_weights"] == "offline":
            refs["inception_weights"] = inception_weights()
        refs["inception_ref"] = reference_stats(data, evaluate["ref_split"], "inception", evaluate["n_ref"])
    if evaluate["domain"]:
        refs["domain_classifier"] = domain_classifier(data)
        refs["domain_ref"] = reference_stats(data, evaluate["ref_split"], "domain", evaluate["n_ref"])
    return refs


def reference_args(wildcards, input):
    names = ("inception_weights", "inception_ref", "domain_classifier", "domain_ref")
    return " ".join(f"--{name.replace('_', '-')} {input[name]}" for name in names if name in input.keys())


rule score_run:
    input:
        unpack(score_inputs),
    output:
        metrics=f"{RUN_DIR}/metrics.json",
    log:
        f"{RUN_DIR}/score.log",
    benchmark:
        f"{RUN_DIR}/score.benchmark.tsv"
    params:
        run=run_id,
        refs=reference_args,
    threads: 2
    resources:
        mem_mb=4000,
        runtime=120,
    shell:
        "python -m suite score --study {input.study} --run {params.run} --threads {threads} "
        "--generator {input.generator} --train-summary {input.train} {params.refs} "
        "--out {output.metrics} 2> {log}"


def floor_inputs(wildcards):
    return {"study": STUDY_FILE} | scoring_references(wildcards.data, STUDY.config["evaluate"])


rule score_real_data:
    input:
        unpack(floor_inputs),
    output:
        metrics="results/{exp}/reference/{data}/real_metrics.json",
    log:
        "results/{exp}/reference/{data}/real_metrics.log",
    params:
        refs=reference_args,
    threads: 2
    resources:
        mem_mb=4000,
        runtime=120,
    shell:
        "python -m suite score-real --study {input.study} --data {wildcards.data} --threads {threads} "
        "{params.refs} --out {output.metrics} 2> {log}"
