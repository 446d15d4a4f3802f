"""The rehearsal profile: the paper profile's plan, job for job, on fake data, with run ids that
can never collide with a paper run, and a notice on every output."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qsnn.experiments import ConfigError, plan_from_config, read_yaml, resolve_extends

ROOT = Path(__file__).resolve().parents[1]


def raw(name: str) -> dict:
    cfg = resolve_extends(read_yaml(ROOT / "config" / name), ROOT / "config")
    cfg["paper_dir"] = str(ROOT / "data" / "paper")
    return cfg


@pytest.fixture(scope="module")
def plans():
    return {name: plan_from_config(raw(f"{name}.yaml")) for name in ("paper", "rehearsal", "rehearsal-trim")}


def _jobs(plan):
    return sorted((r.dataset, r.arch, str(r.wst)) for r in plan.runs)


def _rows(plan):
    return sorted(
        (e.table or 0, e.row if e.row is not None else -1, e.paper_dataset, str(e.wst), e.source, e.figures)
        for e in plan.entries
    )


def test_rehearsal_is_the_paper_plan_job_for_job(plans):
    paper, rehearsal = plans["paper"], plans["rehearsal"]
    assert len(paper.runs) == len(rehearsal.runs) == 68
    assert _jobs(paper) == _jobs(rehearsal)  # same datasets, full-scale architectures, W/S/T
    assert _rows(paper) == _rows(rehearsal)  # same table rows, figures, extensions


def test_rehearsal_runs_never_share_an_id_with_paper_runs(plans):
    paper_ids = {r.run_id for r in plans["paper"].runs}
    rehearsal = plans["rehearsal"].runs
    assert not paper_ids & {r.run_id for r in rehearsal}
    settings = rehearsal[0].settings
    assert settings.limit_batches == 2 and settings.batch_size == 2 and not settings.checksums_verified


def test_trim_covers_each_data_family_and_a_full_scale_table4_checkpoint(plans):
    trim = plans["rehearsal-trim"]
    datasets = {r.dataset for r in trim.runs}
    assert datasets == {"imagenet", "cifar10", "cifar10-dvs", "dvs-gesture", "n-caltech101"}
    assert not any(r.arch.endswith("-tiny") for r in trim.runs)
    assert any(e.table == 4 and e.run and e.run.arch == "spikformer-4-384" for e in trim.entries)
    assert any(r.wst.s_bits == 16 for r in trim.runs)  # the S=16 runs that crashed under AMP
    outputs = trim.config.outputs
    assert outputs["tables"] == [3] and outputs["figures"] == [4] and outputs["hardware"] == ["activity_rtl"]


def test_overlays_merge_mappings_and_replace_selections(tmp_path):
    (tmp_path / "base.yaml").write_text(
        yaml.safe_dump(
            {
                "profile": "paper",
                "train": {"lr": 0.1, "batch_size": 8},
                "tables": {
                    "table1": {"datasets": ["imagenet"], "train": "none"},
                    "table2": {"datasets": ["cifar10"], "train": "none"},
                },
            }
        )
    )
    (tmp_path / "mid.yaml").write_text("extends: base.yaml\ntrain: {lr: 0.2}\n")
    (tmp_path / "top.yaml").write_text("extends: mid.yaml\ntables: {table2: {datasets: [cifar100], train: none}}\n")
    merged = resolve_extends(read_yaml(tmp_path / "top.yaml"), tmp_path)
    assert merged["train"] == {"lr": 0.2, "batch_size": 8}  # mappings merge key by key
    assert merged["tables"] == {"table2": {"datasets": ["cifar100"], "train": "none"}}  # selections replace
    assert "extends" not in merged
    (tmp_path / "loop.yaml").write_text("extends: loop.yaml\n")
    with pytest.raises(ConfigError, match="extends itself"):
        resolve_extends(read_yaml(tmp_path / "loop.yaml"), tmp_path)
    (tmp_path / "missing.yaml").write_text("extends: nope.yaml\n")
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_extends(read_yaml(tmp_path / "missing.yaml"), tmp_path)


def test_only_the_rehearsal_may_use_fake_data():
    paper = raw("paper.yaml")
    paper["data"] = {"fake": {"samples": 2}}
    with pytest.raises(ConfigError, match="only the 'rehearsal' profile may train on fake data"):
        plan_from_config(paper)
    rehearsal = raw("rehearsal.yaml")
    del rehearsal["data"]
    with pytest.raises(ConfigError, match="needs data.fake"):
        plan_from_config(rehearsal)


def test_selected_output_table_must_be_configured():
    cfg = raw("rehearsal-trim.yaml")
    cfg["outputs"]["tables"] = [5]
    with pytest.raises(ConfigError, match="outputs.tables: Table 5"):
        plan_from_config(cfg)


def test_rehearsal_notice_on_tables_report_and_paper_tex(tmp_path):
    from qsnn.profiles import REHEARSAL_NOTICE
    from qsnn.report.tables import render_paper

    assert REHEARSAL_NOTICE in render_paper("rehearsal")
    from qsnn.report.reproduction import _banner

    assert "REHEARSAL: FAKE DATA, NOT RESULTS" in "\n".join(_banner("rehearsal"))
    template = (ROOT / "tables" / "_macros.tex.j2").read_text()
    assert r"\VAR{notice|tex}" in template


def test_rehearsal_notice_is_stamped_on_figures():
    import sys

    sys.path.insert(0, str(ROOT / "figures"))
    import common
    import matplotlib.pyplot as plt

    fig = plt.figure()
    common.stamp_rehearsal(fig, "rehearsal")
    texts = [t.get_text() for t in fig.texts]
    plt.close(fig)
    assert "rehearsal: fake data, not results" in texts
    fig = plt.figure()
    common.stamp_rehearsal(fig, "paper")
    assert not fig.texts
    plt.close(fig)
