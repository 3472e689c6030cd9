import pytest

from tests.conftest import REPO
from suite.config import load_study
from suite.runspec import inception_counts


@pytest.mark.parametrize("evaluate, counts", [
    ({"n_gen": 2000, "n_ref": 10000, "inception_n_gen": 256, "inception_n_ref": 256}, (256, 256)),
    ({"n_gen": 2000, "n_ref": 10000, "inception_n_gen": None, "inception_n_ref": None}, (2000, 10000)),
    ({"n_gen": 100, "n_ref": 10000, "inception_n_gen": 256, "inception_n_ref": None}, (100, 10000)),
])
def test_inception_counts_cap_the_generated_images_and_default_to_the_domain_counts(evaluate, counts):
    assert inception_counts(evaluate) == counts


def test_the_default_study_scores_the_domain_metrics_on_at_least_2000_against_the_whole_test_set():
    evaluate = load_study(REPO / "configs" / "default.yaml").config["evaluate"]
    assert evaluate["n_gen"] >= 2000 and evaluate["n_ref"] == 10000  # Fashion-MNIST's test split
    n_gen, n_ref = inception_counts(evaluate)
    assert n_gen <= evaluate["n_gen"] and n_ref <= evaluate["n_ref"]
