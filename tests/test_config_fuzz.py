"""Bad configs that used to pass validation and fail later (or select nothing silently): each is
rejected before any job runs, with a one-line reason naming the key (issue 10)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from qsnn.experiments import ConfigError, load_config, plan_from_config, read_yaml

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def base() -> dict:
    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    raw["paper_dir"] = str(ROOT / "data" / "paper")
    return raw


def _error(raw: dict) -> str:
    with pytest.raises(ConfigError) as info:
        plan_from_config(raw)
    return str(info.value)


def _set(raw: dict, dotted: str, value):
    raw = copy.deepcopy(raw)
    node = raw
    *parents, leaf = dotted.split(".")
    for part in parents:
        node = node[part]
    node[leaf] = value
    return raw


@pytest.mark.parametrize(
    "dotted, value, words",
    [
        ("tables.table2.train", [999], ["tables.table2.train", "999", "rows 0-"]),
        ("tables.table1.datasets", ["dvs-gesture"], ["tables.table1.datasets[0]", "matches no row", "imagenet"]),
        ("tables.table2.datasets", ["cifar10", "cifar10"], ["tables.table2.datasets", "twice"]),
        ("tables", {}, ["tables", "selects no table"]),
        ("figures.fig6.w_bits", [9], ["figures.fig6", "selects no row"]),
        ("train.lr", float("nan"), ["train.lr", "finite"]),
        ("train.lr", float("inf"), ["train.lr", "finite"]),
        ("train.batch_size", 64.0, ["train.batch_size", "not an integer", "64"]),
        ("epochs.static", 20.0, ["epochs.static", "not an integer"]),
        ("seed", 0.0, ["seed", "not an integer"]),
        ("seed", 2**48, ["seed", "out of range"]),
        ("train", "{lr: 0.001}", ["train", "--configfile"]),
    ],
)
def test_bad_value_is_named(base, dotted, value, words):
    message = _error(_set(base, dotted, value))
    for word in words:
        assert word in message, message


def test_lr_written_1e_3_is_read_as_a_number(base, tmp_path):
    path = tmp_path / "c.yaml"
    text = yaml.safe_dump(base).replace("lr: 0.002", "lr: 1e-3")
    path.write_text(text)
    assert isinstance(yaml.safe_load(text)["train"]["lr"], str)  # YAML 1.1 says so
    cfg = load_config(path)
    assert cfg.settings.lr == pytest.approx(1e-3)


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    path = tmp_path / "broken.yaml"
    path.write_text("profile: quick\nseed: [0\n")
    with pytest.raises(ConfigError) as info:
        read_yaml(path)
    assert str(path) in str(info.value) and "line" in str(info.value)


@pytest.mark.parametrize(
    "content, words",
    [
        ("", ["table2.csv", "not a readable CSV"]),
        ('row,w_bits\n0,"1\n', ["table2.csv"]),
        (
            "row,source,arch_id,dataset,s_bits,T\n0,this paper,spikformer-4-384,cifar10,1,1\n",
            ["missing column", "w_bits"],
        ),
        (
            "row,source,arch_id,dataset,w_bits,s_bits,T\nx,this paper,spikformer-4-384,cifar10,1,1,1\n",
            ["line 2", "row", "'x'"],
        ),
        (
            "row,source,arch_id,dataset,w_bits,s_bits,T\n0,this paper,spikformer-4-384,cifar10,1,1,1\n"
            "0,this paper,spikformer-4-384,cifar10,2,1,1\n",
            ["line 3", "repeats line 2"],
        ),
    ],
)
def test_corrupt_paper_table_is_named_with_its_row(base, tmp_path, content, words):
    import shutil

    paper = tmp_path / "paper"
    shutil.copytree(ROOT / "data" / "paper", paper)
    (paper / "table2.csv").write_text(content)
    raw = _set(base, "paper_dir", str(paper))
    message = _error(raw)
    for word in words:
        assert word in message, message
