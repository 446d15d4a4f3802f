"""The workflow config: JSON Schema + semantic validation, expansion into runs, dedupe, the
quick-profile mapping and one-line extensions (qsnn.experiments)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml

from qsnn.experiments import ConfigError, Run, expand, load_config, plan_from_config
from qsnn.wst import WST

ROOT = Path(__file__).resolve().parents[1]


def raw_config(name: str = "config.yaml") -> dict:
    with open(ROOT / "config" / name) as fh:
        raw = yaml.safe_load(fh)
    # A --configfile replaces config/config.yaml (see the Snakefile): no merge here either.
    raw["paper_dir"] = str(ROOT / "data" / "paper")
    return raw


@pytest.fixture(scope="module")
def quick_plan():
    return plan_from_config(raw_config())


@pytest.fixture(scope="module")
def paper_plan():
    return plan_from_config(raw_config("paper.yaml"))


def error_of(raw: dict) -> str:
    with pytest.raises(ConfigError) as info:
        plan_from_config(raw)
    return str(info.value)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "wst, words", [("0/1/1", ["W=0", "[1, 16]"]), ("4/1.5/1", ["S=1.5", "integer"]), ("4/2", ["three integers"])]
)
def test_bad_allocation_names_the_key_and_the_fix(wst, words):
    raw = raw_config()
    raw["extensions"] = [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": wst}]
    message = error_of(raw)
    assert "extensions[0].wst" in message
    for word in words:
        assert word in message


def test_unknown_dataset_lists_allowed_values():
    raw = raw_config()
    raw["extensions"] = [{"dataset": "cifar1000", "arch": "spikformer-4-384", "wst": "3/3/3"}]
    message = error_of(raw)
    assert "extensions[0].dataset" in message and "'cifar1000'" in message
    assert "cifar100" in message and "digits-dvs" in message  # the allowed values


def test_unknown_architecture_lists_allowed_values():
    raw = raw_config()
    raw["tables"]["table4"]["arch"] = "spikformer-9-999"
    message = error_of(raw)
    assert "tables.table4.arch" in message and "spikformer-9-999" in message and "spikformer-4-384" in message


def test_an_old_config_with_quick_archs_is_told_what_replaced_it():
    raw = raw_config()
    raw["quick"]["archs"] = {"spikformer": "spikformer-tiny"}
    message = error_of(raw)
    assert "quick.archs" in message and "stand_in=" in message and "delete quick.archs" in message


def test_the_registry_names_each_architectures_stand_in(monkeypatch):
    from qsnn.models import registry

    assert (
        registry.stand_in_of("spiking-resnet-50") == "sew-resnet-tiny"
        and registry.stand_in_of("resnet-tiny") == "resnet-tiny"
    )
    spec = registry.arch_spec("spikformer-4-384")
    monkeypatch.setitem(registry._ARCHS, "spikformer-4-384", registry.ArchSpec(**{**spec.__dict__, "stand_in": None}))
    message = error_of(raw_config())
    assert "spikformer-4-384" in message and "stand_in=" in message  # a new architecture without one is named


def test_duplicate_extension_is_a_duplicate_run_id():
    raw = raw_config()
    line = {"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "3/3/3"}
    raw["extensions"] = [line, dict(line)]
    message = error_of(raw)
    assert "duplicate run id" in message and "extensions[1]" in message and "extensions[0]" in message


def test_extension_repeating_a_table_row_is_a_duplicate():
    raw = raw_config()
    raw["extensions"] = [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "4/4/1"}]
    message = error_of(raw)
    assert "duplicate run id" in message and "Table 2" in message


def test_missing_required_key():
    raw = raw_config()
    del raw["epochs"]
    message = error_of(raw)
    assert "missing required key epochs" in message


def test_missing_key_in_an_extension():
    raw = raw_config()
    raw["extensions"] = [{"dataset": "cifar100", "wst": "3/3/3"}]
    message = error_of(raw)
    assert "missing required key arch" in message and "extensions[0]" in message


def test_wrong_type():
    raw = raw_config()
    raw["seed"] = "zero"
    message = error_of(raw)
    assert "seed" in message and "wrong type" in message and "integer" in message


def test_wrong_enum_lists_allowed_values():
    raw = raw_config()
    raw["profile"] = "fast"
    message = error_of(raw)
    assert "profile" in message and "'quick'" in message and "'paper'" in message


def test_unknown_key_is_rejected():
    raw = raw_config()
    raw["threads"] = 8  # resources belong to workflow/profiles, not the config
    assert "threads" in error_of(raw)


def test_table_row_without_architecture_needs_the_table_arch():
    raw = raw_config()
    del raw["tables"]["table4"]["arch"]
    message = error_of(raw)
    assert "tables.table4.arch" in message and "arch_id is blank" in message


# --------------------------------------------------------------------------- expansion


def test_every_table_row_becomes_entries(quick_plan):
    rows = {(e.table, e.row) for e in quick_plan.entries if e.table}
    expected = 0
    for n in range(1, 6):
        with open(ROOT / "data" / "paper" / f"table{n}.csv") as fh:
            expected += sum(1 for _ in fh) - 1
    assert len(rows) == expected


def test_cited_rows_are_not_trained(quick_plan):
    cited = [e for e in quick_plan.entries if e.source == "cited"]
    assert cited and all(e.run is None and e.status == "cited" for e in cited)
    trained = [e for e in quick_plan.entries if e.source == "this paper" and e.table]
    assert trained and all(e.run is not None for e in trained)


def test_table2_and_table5_share_runs(paper_plan):
    def runs_of(table):
        return {e.run.run_id for e in paper_plan.entries if e.table == table and e.run}

    shared = runs_of(2) & runs_of(5)
    assert len(shared) >= 24  # 12 quantized rows x CIFAR10/100, trained once
    assert len(paper_plan.runs) == len({r.run_id for r in paper_plan.runs})


def test_paper_profile_is_not_shrunk(paper_plan):
    runs = paper_plan.runs
    assert not any(r.dataset.startswith("digits") or r.arch.endswith("-tiny") for r in runs)
    epochs = {(r.dataset, r.epochs) for r in runs}
    assert ("imagenet", 310) in epochs and ("cifar100", 400) in epochs and ("dvs-gesture", 400) in epochs


def test_quick_profile_maps_to_stand_ins_and_tiny_siblings(quick_plan):
    for entry in quick_plan.entries:
        if entry.run is None:
            continue
        # DVS128 Gesture's classes are motions: its stand-in is motion-dvs (issue 14).
        kind_stand_in = {"dvs-gesture": "motion-dvs"}.get(
            entry.paper_dataset, "digits-dvs" if entry.paper_dataset in ("cifar10-dvs", "n-caltech101") else "digits"
        )
        assert entry.run.dataset == kind_stand_in
        assert entry.run.arch.endswith("-tiny")
        assert entry.run.epochs in raw_config()["epochs"].values() and entry.run.epochs < 400  # epochs shrink
    archs = {(e.arch, e.run.arch) for e in quick_plan.entries if e.run}
    assert ("sew-resnet-34", "sew-resnet-tiny") in archs and ("spikformer-8-512", "spikformer-tiny") in archs
    # CIFAR10 and CIFAR100 rows share the stand-in run in the quick profile
    assert len(quick_plan.runs) < len([e for e in quick_plan.entries if e.run])


def test_quick_arch_mapping_uses_the_longest_prefix():
    from qsnn.experiments import trained_arch

    cfg = load_config(raw_config())
    assert trained_arch(cfg, "spiking-resnet-34") == "sew-resnet-tiny"
    assert trained_arch(cfg, "resnet-19") == "resnet-tiny"
    assert trained_arch(cfg, "cifarnet") == "cifarnet-tiny"


def test_one_line_extension_becomes_a_run_and_a_fig5_point():
    raw = raw_config()
    raw["extensions"] = [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "5/1/1"}]
    plan = plan_from_config(raw)
    run_id = next(r.run_id for r in plan.runs if r.wst == WST(5, 1, 1))
    assert run_id.startswith(f"digits__spikformer-tiny__w5s1t1__e{raw['epochs']['static']}__s0__")
    assert run_id in {r.run_id for r in plan.runs}
    assert run_id in plan.run_ids(figure="fig5")
    entry = next(e for e in plan.entries if e.source == "extension")
    assert entry.paper_dataset == "cifar100" and entry.wst == WST(5, 1, 1) and entry.table is None
    record = next(r for r in plan.to_records() if r["source"] == "extension")
    assert record["run_id"] == run_id and record["figures"] == "fig5" and record["bit_budget"] == 5


def test_figure_membership(quick_plan):
    fig6 = [e for e in quick_plan.entries if "fig6" in e.figures]
    assert fig6 and all(e.wst.w_bits == 1 and e.paper_dataset in ("cifar100", "dvs-gesture") for e in fig6)
    sweep = [e for e in quick_plan.entries if e.group == "weight sweep"]
    assert sorted(e.wst.w_bits for e in sweep) == [1, 2, 4, 8, 16]


def test_run_id_names_the_run_and_hashes_its_other_settings():
    from qsnn.experiments import RUN_ID_PATTERN, TrainSettings

    run = Run("cifar10-dvs", "spikformer-4-384", WST(1, 2, 8), 400, 3)
    assert run.run_id.startswith("cifar10-dvs__spikformer-4-384__w1s2t8__e400__s3__")
    assert RUN_ID_PATTERN.match(run.run_id)
    # Every setting that changes a result changes the id: never an old checkpoint for a new setting.
    variants = [
        TrainSettings(lr=1e-3),
        TrainSettings(batch_size=64),
        TrainSettings(limit_batches=2),
        TrainSettings(checksums_verified=False),
    ]
    ids = {Run(run.dataset, run.arch, run.wst, run.epochs, run.seed, s).run_id for s in variants}
    assert len(ids | {run.run_id}) == 5


def test_plan_finds_a_run_by_id_and_names_an_unknown_one(quick_plan):
    run = quick_plan.runs[0]
    assert quick_plan.run(run.run_id) == run
    with pytest.raises(ConfigError, match="not in this config's plan"):
        quick_plan.run("cifar10__spikformer__w1s1t1__e1__s0__deadbeef")


def test_validate_config_cli(capsys):
    from qsnn.cli import main

    assert main(["report", "validate-config", str(ROOT / "config" / "config.yaml")]) == 0
    assert "profile quick" in capsys.readouterr().out


def test_config_does_not_mutate_input():
    raw = raw_config()
    before = copy.deepcopy(raw)
    expand(load_config(raw))
    assert raw == before
