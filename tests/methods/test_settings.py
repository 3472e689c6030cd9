"""SN-GAN's settings A-F: the values of its Table 1, how a method and a study grid use them, refusals."""

import pytest

from suite.config import load_schema, resolve_study
from suite.errors import ConfigError
from suite.methods import PRESETS, resolve_method
from suite.methods.settings import SETTINGS
from tests.conftest import toy_study

# Miyato et al. 2018 (ICLR), Table 1 "Hyper-parameter settings we tested in our experiments":
# setting: (alpha, beta1, beta2, n_dis), copied here from the paper, not from the module.
TABLE_1 = {
    "A": (0.0001, 0.5, 0.9, 5),
    "B": (0.0001, 0.5, 0.999, 1),
    "C": (0.0002, 0.5, 0.999, 1),
    "D": (0.001, 0.5, 0.9, 5),
    "E": (0.001, 0.5, 0.999, 5),
    "F": (0.001, 0.9, 0.999, 5),
}


@pytest.mark.parametrize("name", list(TABLE_1))
def test_each_setting_is_its_row_of_sngan_table_1(name):
    lr, beta1, beta2, n_dis = TABLE_1[name]
    spec = resolve_method({"preset": "wgan-wc", "setting": name})  # an RMSprop preset turns Adam
    assert (spec.optimizer, spec.lr_d, spec.lr_g, spec.betas, spec.n_dis) == ("adam", lr, lr, (beta1, beta2), n_dis)
    assert spec.setting == name
    assert spec.to_dict()["setting"] == name


def test_the_module_holds_exactly_the_six_settings():
    assert list(SETTINGS) == list(TABLE_1)
    schema = load_schema()
    assert schema["$defs"]["method"]["properties"]["setting"]["enum"] == [*TABLE_1, None]
    assert schema["properties"]["grids"]["items"]["properties"]["settings"]["items"]["enum"] == list(TABLE_1)


def test_a_setting_replaces_the_family_entry_of_a_preset():
    spec = resolve_method({"preset": "sngan", "setting": "D"}, family="dcgan")
    assert (spec.lr_d, spec.betas, spec.n_dis, spec.loss) == (1e-3, (0.5, 0.9), 5, "hinge")


@pytest.mark.parametrize("entry, fragment", [
    ({"preset": "gan-sn", "setting": "G"}, "setting 'G' is unknown; allowed: A, B, C, D, E, F"),
    ({"preset": "gan-sn", "setting": "D", "lr_d": 1e-4}, "setting D fixes optimizer, lr_d, lr_g, betas, n_dis; "
                                                         "remove lr_d or the setting"),
    ({"preset": "gan-sn", "setting": "A", "n_dis": 1, "betas": [0.0, 0.9]}, "remove betas, n_dis or the setting"),
    ({**PRESETS["gan-sn"].to_dict(), "setting": "C", "lr_d": 1e-4}, "setting C fixes lr_d 0.0002"),
])
def test_setting_refusals_are_one_line(entry, fragment):
    with pytest.raises(ConfigError) as error:
        resolve_method(entry)
    assert fragment in str(error.value) and "\n" not in str(error.value)


def settings_study(methods=("gan-sn", "wgan-gp"), settings=("A", "D"), named=None) -> dict:
    study = toy_study(methods=methods)
    study["grids"][0]["settings"] = list(settings)
    if named:
        study["methods"] = named
    return study


def test_a_grid_crosses_its_methods_with_settings_and_records_them():
    runs = resolve_study(settings_study()).runs
    assert [run.method_name for run in runs] == ["gan-sn+A", "gan-sn+D", "wgan-gp+A", "wgan-gp+D"]
    by_name = {run.method_name: run.method for run in runs}
    assert (by_name["wgan-gp+D"]["loss"], by_name["wgan-gp+D"]["lr_d"], by_name["wgan-gp+D"]["betas"],
            by_name["wgan-gp+D"]["n_dis"], by_name["wgan-gp+D"]["setting"]) == ("wasserstein", 1e-3, [0.5, 0.9], 5, "D")
    assert (by_name["gan-sn+A"]["lr_g"], by_name["gan-sn+A"]["setting"]) == (1e-4, "A")
    assert by_name["gan-sn+A"] != by_name["gan-sn+D"]


def test_a_method_may_name_its_setting_itself():
    study = toy_study(methods=("sn-e",)) | {"methods": {"sn-e": {"preset": "gan-sn", "setting": "E"}}}
    (run,) = resolve_study(study).runs
    assert (run.method_name, run.method["lr_d"], run.method["betas"], run.method["setting"]) == (
        "sn-e", 1e-3, [0.5, 0.999], "E")


@pytest.mark.parametrize("study, fragment", [
    (settings_study(settings=("A", "Z")), "grids[0].settings[1]: 'Z' is not allowed; allowed: A, B, C, D, E, F"),
    (settings_study(methods=("mine",), named={"mine": {"preset": "gan-sn", "setting": "B"}}),
     "grids[0].settings: method 'mine' names setting B itself"),
    (settings_study(methods=("mine",), named={"mine": {"preset": "gan-sn", "lr_d": 1e-4}}),
     "grids[0].settings (method mine under setting A): setting A fixes optimizer, lr_d, lr_g, betas, n_dis; "
     "remove lr_d or the setting"),
])
def test_bad_settings_in_a_study_fail_in_one_line(study, fragment):
    with pytest.raises(ConfigError) as error:
        resolve_study(study)
    assert fragment in str(error.value) and "\n" not in str(error.value)
