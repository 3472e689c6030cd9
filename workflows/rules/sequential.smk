# Sequential seeds: a checkpoint per look decides the claims; the next look trains only the new seeds
# of the cells an open claim reads. Without `sequential:` in the study, none of this runs.
from suite.claims import CLAIMS
from suite.claims.interim import read_decisions, study_claim_cells

SEQUENTIAL = STUDY.sequential
LOOKS = SEQUENTIAL["looks"] if SEQUENTIAL else []


def look_decisions(k):
    """decisions.json of look k (from 1)."""
    return f"results/{EXP}/looks/{k}/decisions.json"


def look_runs(k):
    """The runs look k reads: every claim cell's seeds below n_1, then below n_k for the cells the look
    before continued. Their run.yaml is written here, as the study's fixed runs' are at parse time."""
    if k == 1:
        cells, runs = study_claim_cells([spec.to_dict() for spec in STUDY.runs], list(CLAIMS.values())), []
    else:
        continued = read_decisions(checkpoints.interim_look.get(exp=EXP, k=k - 1).output.decisions)
        cells, runs = [tuple(cell) for cell in continued["continuing_cells"]], look_runs(k - 1)
    for cell in cells:
        for seed in range(LOOKS[k - 1]):
            spec = STUDY.run(*cell, seed)
            spec.write()
            runs.append(spec)
    return list({spec.run_id: spec for spec in runs}.values())


def look_inputs(wildcards):
    k = int(wildcards.k)
    return {"metrics": [run_path(spec, "metrics") for spec in look_runs(k)],
            "previous": [look_decisions(k - 1)] if k > 1 else []}


def sequential_metrics():
    """The metrics of every run the looks read (none without `sequential:`)."""
    return [run_path(spec, "metrics") for spec in look_runs(len(LOOKS))] if LOOKS else []


def final_decisions():
    return [look_decisions(len(LOOKS))] if LOOKS else []


checkpoint interim_look:
    input:
        unpack(look_inputs),
        study=STUDY_FILE,
    output:
        decisions="results/{exp}/looks/{k}/decisions.json",
    log:
        "results/{exp}/looks/{k}/interim.log",
    wildcard_constraints:
        # only the study's looks: asking for another (or any, in a study without `sequential:`) is a missing rule
        k="|".join(str(k) for k in range(1, len(LOOKS) + 1)) or "(?!)",
    params:
        previous=lambda w: f"--previous {look_decisions(int(w.k) - 1)}" if int(w.k) > 1 else "",
    resources:
        mem_mb=2000,
        runtime=15,
    shell:
        "python -m suite interim --study {input.study} --look {wildcards.k} {params.previous} "
        "--out {output.decisions} 2> {log}"
