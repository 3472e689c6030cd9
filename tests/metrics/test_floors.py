"""The floors of the success thresholds: held-out real images against one garment class."""

import pytest

from suite.metrics.domain import train_domain_classifier
from suite.metrics.floors import domain_fid_floors
from suite.metrics.reference_build import compute_reference


@pytest.fixture(scope="module")
def classifier_and_reference(tmp_path_factory):
    root = tmp_path_factory.mktemp("floors")
    classifier = root / "classifier.pt"
    train_domain_classifier("fashion32", classifier, seed=0, epochs=2)
    compute_reference("fashion32", "test", "domain", 400, root / "ref.npz", weights_path=str(classifier))
    return str(classifier), str(root / "ref.npz")


def test_held_out_real_images_sit_far_below_any_single_class(classifier_and_reference):
    floors = domain_fid_floors(*classifier_and_reference, n_gen=100)
    assert (floors["data"], floors["n_gen"], floors["n_ref"]) == ("fashion32", 100, 400)
    assert sorted(floors["one_class"]) == list(range(10))
    assert floors["collapse"] == min(floors["one_class"].values())
    # ten classes in equal shares against one: the class means alone put a single class far off
    assert 0 < floors["real"] < 0.1 * floors["collapse"]


def test_more_generated_images_lower_the_real_data_floor(classifier_and_reference):
    # FID is biased upward by about trace terms / n: the floor at 30 images is above the one at 120
    small = domain_fid_floors(*classifier_and_reference, n_gen=30)["real"]
    large = domain_fid_floors(*classifier_and_reference, n_gen=120)["real"]
    assert large < 0.5 * small
