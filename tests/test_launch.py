"""`ganbench run`'s arguments to Snakemake: the local profile's scheduling rate unless the user sets one."""

import pytest
from snakemake.cli import get_argument_parser

from suite.config import REPO_ROOT
from suite.launch import snakemake_arguments


def test_run_slows_snakemakes_idle_rescheduling_and_keeps_its_submission_limit():
    args = snakemake_arguments(["--cores", "8", "all"], REPO_ROOT)
    parsed = get_argument_parser().parse_args(args)
    assert parsed.cores == 8 and parsed.targets == ["all"]
    default = get_argument_parser().parse_args(["all"]).max_jobs_per_timespan
    # The scheduler re-examines the ready jobs once per timespan: longer than the default's, with as
    # many submissions per second allowed as by default.
    assert parsed.max_jobs_per_timespan.timespan > default.timespan
    assert (parsed.max_jobs_per_timespan.max_jobs / parsed.max_jobs_per_timespan.timespan
            >= default.max_jobs / default.timespan)


@pytest.mark.parametrize("given", [
    ["--max-jobs-per-timespan", "5/1s"],
    ["--max-jobs-per-second=3"],
    ["--profile", "mycluster"],
    ["--workflow-profile=workflows/profiles/slurm"],
])
def test_a_rate_or_profile_of_the_users_own_is_left_alone(given):
    assert snakemake_arguments([*given, "all"], REPO_ROOT) == [*given, "all"]
