# Scoring: Inception FID/KID(/IS) and domain metrics per run, and the real-data floor.


rule score_run:
    input:
        unpack(score_inputs),
    output:
        metrics=f"{RUN_DIR}/metrics.json",
    log:
        f"{RUN_DIR}/score.log",
    params:
        refs=reference_args,
    threads: lambda w: run_spec(w).threads  # the study's split: parallel 1-thread jobs by default
    resources:
        mem_mb=4000,
        runtime=120,
    shell:
        "python -m suite score --spec {input.spec} --threads {threads} "
        "--generator {input.generator} --train-summary {input.train} {params.refs} "
        "--out {output.metrics} 2> {log}"


rule fit_critic:
    input:
        spec=spec_file,
    output:
        fit=f"{RUN_DIR}/critic_fit.json",
    log:
        f"{RUN_DIR}/fit_critic.log",
    params:
        steps=STUDY.config["critic_fit"]["steps"],
    threads: lambda w: run_spec(w).threads
    resources:
        mem_mb=3000,
        runtime=60,
    shell:
        "python -m suite fit-critic --spec {input.spec} --critic-steps {params.steps} --threads {threads} "
        "--out $(dirname {input.spec}) 2> {log}"


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
        "python -m suite score-real --protocol {input.protocol} --threads {threads} "
        "{params.refs} --out {output.metrics} 2> {log}"
