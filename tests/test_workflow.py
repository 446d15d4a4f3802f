"""The Snakemake workflow: lint, dry runs of both profiles, bad config caught before any job,
aggregation (experiments.csv), the reproduction report, and an end-to-end run of a trimmed DAG.

The end-to-end test is marked ``slow`` (CI runs it: `python -m pytest`); alone:
``python -m pytest tests/test_workflow.py -k end_to_end -q``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
FIGURE_SCRIPTS = [ROOT / "figures" / f"fig{n}.py" for n in range(1, 7)]
TABLE_TEMPLATES = [ROOT / "tables" / f"table{n}.tex.j2" for n in range(1, 6)]


def snakemake(args: list[str], cwd: Path = ROOT, timeout: int = 240) -> subprocess.CompletedProcess:
    return subprocess.run(SNAKEMAKE + args, cwd=cwd, capture_output=True, text=True, timeout=timeout)


def needs_parts(paths: list[Path]) -> None:
    """A missing figure script or template is a failure, never a skip that hides it."""
    missing = [str(p.relative_to(ROOT)) for p in paths if not p.exists()]
    assert not missing, f"workflow inputs missing: {', '.join(missing)}"


def copy_workflow(dest: Path, config: dict | None = None) -> Path:
    """A private copy of the workflow (Snakefile, rules, scripts, templates, paper tables)."""
    for name in ("Snakefile", "environment.yml"):
        shutil.copy(ROOT / name, dest / name)
    for name in ("workflow", "figures", "tables", "config"):
        if (ROOT / name).exists():
            shutil.copytree(ROOT / name, dest / name)
    shutil.copytree(ROOT / "data" / "paper", dest / "data" / "paper")
    (dest / "profiles").symlink_to("workflow/profiles")  # where Snakemake finds the local profile
    if config is not None:
        with open(dest / "config" / "config.yaml", "w") as fh:
            yaml.safe_dump(config, fh)
    return dest


# --------------------------------------------------------------------------- static checks


def test_lint_is_clean():
    result = snakemake(["--lint"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "good condition" in result.stdout + result.stderr


@pytest.mark.parametrize("configfile", [None, "config/paper.yaml", "config/rehearsal.yaml"])
def test_dry_run_builds_the_whole_dag(configfile):
    needs_parts(FIGURE_SCRIPTS + TABLE_TEMPLATES)
    args = ["-n"] + (["--configfile", configfile] if configfile else [])
    result = snakemake(args)
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout + result.stderr
    for rule in (
        "train",
        "plan_costs",
        "summarize",
        "reproduction_report",
        "paper_tex",
        "synth_accelerator",
        "results/figures/fig6.pdf",
        "results/tables/table5.tex",
    ):
        assert rule in out
    if configfile is None:  # the local workflow profile is found with no flag
        assert "Using workflow specific profile profiles/default" in out


def test_a_configfile_replaces_the_quick_config_instead_of_merging_into_it():
    """The trimmed rehearsal selects 4 tables, 1 figure, no extension: merged over config.yaml it
    would also schedule Table 5, Figs. 5-6 and the 3/3/3 extension (33 runs instead of 6)."""
    result = snakemake(["-n", "--forceall", "--configfile", "config/rehearsal-trim.yaml"])  # whatever results/ holds
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    counts = dict(
        line.split()[:2] for line in out.splitlines() if line.split()[:1] in (["train"], ["fake_dataset"], ["table"])
    )
    assert counts == {"train": "6", "fake_dataset": "5", "table": "1"}
    assert "results/tables/table3.tex" in out
    assert "results/tables/table5.tex" not in out and "results/figures/fig5.pdf" not in out


def test_bad_config_fails_before_any_job(tmp_path):
    work = copy_workflow(tmp_path)
    with open(work / "config" / "config.yaml") as fh:
        raw = yaml.safe_load(fh)
    raw["extensions"] = [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "0/1/1"}]
    with open(work / "config" / "config.yaml", "w") as fh:
        yaml.safe_dump(raw, fh)
    result = snakemake(["--cores", "1"], cwd=work)
    assert result.returncode != 0
    assert "extensions[0].wst" in result.stderr + result.stdout and "W=0" in result.stderr + result.stdout
    assert not (work / "results").exists()


# --------------------------------------------------------------------------- aggregation + report


@pytest.fixture()
def summary_inputs(tmp_path):
    """A real plan (quick config), stated costs, one fake run, and a hardware CSV with both kinds."""
    from qsnn.cli import main

    plan_path = tmp_path / "plan.json"
    assert main(["report", "plan", "--config", str(ROOT / "config" / "config.yaml"), "--out", str(plan_path)]) == 0
    plan = json.loads(plan_path.read_text())
    entries = pd.DataFrame(plan["entries"])
    keys = entries[entries["arch"] != ""][["arch", "paper_dataset", "w_bits", "s_bits", "T"]].drop_duplicates()
    costs = keys.assign(
        params=1,
        params_M=lambda f: 2.0 * f["w_bits"],
        macs=1.0,
        sops_G=lambda f: f["s_bits"] * f["T"],
        s_ace_G=lambda f: 10.0 * f["w_bits"] * f["s_bits"] * f["T"],
    )
    costs.to_csv(tmp_path / "costs.csv", index=False)
    run_id = entries[(entries["table"] == 2) & (entries["row"] == 8)]["run_id"].iloc[0]
    (tmp_path / "runs" / run_id).mkdir(parents=True)
    (tmp_path / "runs" / run_id / "metrics.json").write_text(
        json.dumps({"top1": 91.5, "top5": None, "s_ace": 4.0, "ns_ace": 1.0})
    )
    hw = tmp_path / "hardware"
    hw.mkdir()
    pd.DataFrame(
        [
            {
                "dataset": "cifar10",
                "w_bits": 8,
                "s_bits": 1,
                "T": 4,
                "fps": 300.0,
                "latency_ms": None,
                "kind": "modelled",
            },
            {
                "dataset": "cifar10",
                "w_bits": 8,
                "s_bits": 1,
                "T": 4,
                "fps": 340.0,
                "latency_ms": None,
                "kind": "measured",
            },
        ]
    ).to_csv(hw / "accelerator.csv", index=False)
    return tmp_path, run_id


def test_summarize_joins_runs_costs_hardware_and_paper(summary_inputs):
    from qsnn.cli import main
    from qsnn.report import COLUMNS

    tmp, run_id = summary_inputs
    out = tmp / "experiments.csv"
    args = [
        "report",
        "summarize",
        "--plan",
        str(tmp / "plan.json"),
        "--costs",
        str(tmp / "costs.csv"),
        "--runs",
        str(tmp / "runs"),
        "--hardware",
        str(tmp / "hardware"),
        "--paper-dir",
        str(ROOT / "data" / "paper"),
        "--out",
        str(out),
    ]
    assert main(args) == 0
    frame = pd.read_csv(out)
    assert tuple(frame.columns) == tuple(COLUMNS)
    row = frame[(frame["table"] == 2) & (frame["row"] == 8) & (frame["paper_dataset"] == "cifar100")].iloc[0]
    assert row["status"] == "trained" and row["top1"] == 91.5 and row["profile"] == "quick"
    assert row["paper_acc"] == 80.13  # the CIFAR100 column of Table 2 row 8 (4/4/1)
    assert row["s_ace_G"] == 10.0 * 4 * 4 * 1 and row["ns_ace_G"] == pytest.approx(row["s_ace_G"] * 1.0 / 4.0)
    assert row["ns_ace_kind"] == "estimated from stand-in firing rates"
    assert (frame[frame["source"] == "cited"]["status"] == "cited").all()
    assert (frame[(frame["source"] == "this paper") & (frame["run_id"] != run_id)]["status"] == "missing").all()
    t4 = frame[(frame["table"] == 4) & (frame["row"] == 0)].iloc[0]
    assert t4["fps"] == 340.0 and t4["hw_kind"] == "measured"  # a board file replaces the model
    ext = frame[frame["source"] == "extension"].iloc[0]
    assert pd.isna(ext["table"]) and ext["figures"] == "fig5"
    # a figure's subset holds exactly the rows that name it
    sub = tmp / "fig6.csv"
    assert main(args[:-2] + ["--select", "fig6", "--out", str(sub)]) == 0
    fig6 = pd.read_csv(sub)
    assert len(fig6) and fig6["figures"].str.contains("fig6").all() and (fig6["w_bits"] == 1).all()


def test_reproduction_report_sets_every_cell_against_the_paper(summary_inputs):
    from qsnn.cli import main

    tmp, _ = summary_inputs
    args = [
        "report",
        "summarize",
        "--plan",
        str(tmp / "plan.json"),
        "--costs",
        str(tmp / "costs.csv"),
        "--runs",
        str(tmp / "runs"),
        "--hardware",
        str(tmp / "hardware"),
        "--paper-dir",
        str(ROOT / "data" / "paper"),
        "--out",
        str(tmp / "e.csv"),
    ]
    assert main(args) == 0
    report = tmp / "reproduction.md"
    assert main(["report", "reproduction", "--experiments", str(tmp / "e.csv"), "--out", str(report)]) == 0
    text = report.read_text()
    assert "profile: quick" in text and "NOT comparable" in text
    assert "cost (exact, full scale)" in text and "hardware (measured)" in text
    assert "accuracy (cited baseline" in text
    assert "| 4 | 4 | Bit Budget | 64 | 48 |" in text  # Table 4's 8/2/3 printed under budget 64
    assert "within 2 %" in text
    for n in range(1, 6):
        assert f"## Table {n}" in text


def test_errata_explain_params_by_another_w():
    from qsnn.report.errata import cost_errata

    frame = pd.DataFrame(
        [
            {
                "table": 1,
                "row": 18,
                "arch": "spikformer-8-512",
                "w_bits": 4,
                "s_bits": 2,
                "T": 1,
                "params_M": 7.42,
                "paper_params_M": 3.71,
                "sops_G": None,
                "paper_sops_G": None,
                "s_ace_G": None,
                "paper_s_ace_G": None,
            },
            {
                "table": 5,
                "row": 9,
                "arch": "spikformer-2-384",
                "w_bits": 16,
                "s_bits": 1,
                "T": 4,
                "params_M": 5.77,
                "paper_params_M": 4.15,
                "sops_G": None,
                "paper_sops_G": None,
                "s_ace_G": None,
                "paper_s_ace_G": None,
            },
            {
                "table": 5,
                "row": 8,
                "arch": "spikformer-4-256",
                "w_bits": 16,
                "s_bits": 1,
                "T": 4,
                "params_M": 4.15,
                "paper_params_M": 4.15,
                "sops_G": None,
                "paper_sops_G": None,
                "s_ace_G": None,
                "paper_s_ace_G": None,
            },
        ]
    )
    found = {(e.table, e.row): e for e in cost_errata(frame)}
    assert set(found) == {(1, 18), (5, 9)}
    assert "W=2" in found[(1, 18)].explanation and found[(1, 18)].kind == "inconsistency"
    assert "spikformer-4-256" in found[(5, 9)].explanation


# --------------------------------------------------------------------------- end to end


def trimmed_config() -> dict:
    """A few runs (Table 2 row 8, one extension), 1 epoch, through Table 2 and Fig. 4."""
    return {
        "profile": "quick",
        "seed": 0,
        "paper_dir": "data/paper",
        "data_root": "data",
        "epochs": {"static": 1, "neuromorphic": 1, "imagenet": 1},
        "train": {"batch_size": 128, "lr": 0.0005},
        "quick": {"datasets": {"static": "digits", "neuromorphic": "digits-dvs"}},
        "tables": {"table2": {"datasets": ["cifar10", "cifar100"], "train": [8]}},
        "figures": {"fig4": {"tables": [2], "datasets": ["cifar10", "cifar100"]}},
        "extensions": [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "3/3/3", "figures": ["fig4"]}],
    }


@pytest.mark.slow
def test_end_to_end_trimmed_dag(tmp_path):
    needs_parts([ROOT / "figures" / "fig4.py", ROOT / "tables" / "table2.tex.j2"])
    work = copy_workflow(tmp_path, trimmed_config())
    targets = ["results/tables/table2.tex", "results/figures/fig4.pdf", "results/figures/fig4.png"]
    result = snakemake(["--cores", "2", *targets], cwd=work, timeout=600)
    logs = (
        "\n".join(f"== {p}\n{p.read_text()[-2000:]}" for p in sorted((work / "results" / "logs").rglob("*.log")))
        if (work / "results" / "logs").exists()
        else ""
    )
    assert result.returncode == 0, result.stderr[-4000:] + logs
    for target in targets:
        assert (work / target).stat().st_size > 0
    runs = sorted(p.parent.name.rsplit("__", 1)[0] for p in (work / "results" / "runs").glob("*/metrics.json"))
    assert runs == ["digits__spikformer-tiny__w3s3t3__e1__s0", "digits__spikformer-tiny__w4s4t1__e1__s0"]
    table = (work / "results" / "tables" / "table2.tex").read_text()
    assert "quick" in table.lower()
    # nothing left to do, and regenerating the figure reruns only its own rule
    (work / "results" / "figures" / "fig4.pdf").unlink()
    again = snakemake(["--cores", "1", "--dry-run", *targets], cwd=work)
    assert again.returncode == 0
    planned = again.stdout + again.stderr
    assert "rule figure:" in planned and "results/figures/fig4.pdf" in planned
    assert "rule train:" not in planned and "rule summarize_selection:" not in planned and "rule table:" not in planned
    # Snakemake's HTML report of what the run made: the landing page, the table as HTML and the figure
    # as an image, each with its caption
    assert snakemake(["--cores", "1", "results/figures/fig4.pdf"], cwd=work).returncode == 0
    report = snakemake(["--report", "results/report.html", *targets], cwd=work)  # the report of what was built
    assert report.returncode == 0, report.stdout[-2000:] + report.stderr[-4000:]
    page = (work / "results" / "report.html").read_text()
    assert "This report is the output of the" in page and "not comparable with the paper" in page
    assert '"results/tables/table2.html"' in page and '"results/figures/fig4.png"' in page
    assert '"mime_type": "image/png"' in page and '"mime_type": "application/pdf"' not in page  # figures show inline
    assert "System Message" not in page  # every caption is valid reStructuredText
