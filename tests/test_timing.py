"""`qsnn report timing`: Snakemake benchmark files summed per rule."""

from __future__ import annotations

import pandas as pd
import pytest

from qsnn.cli import main
from qsnn.report.timing import rule_of, summarize

HEADER = "s\th:m:s\tmax_rss\tmax_vms\tmax_uss\tmax_pss\tio_in\tio_out\tmean_load\tcpu_time\n"


def bench(path, seconds, cpu, rss=100.0):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(HEADER + f"{seconds}\t0:00:01\t{rss}\t1\t1\t1\t0\t0\t50\t{cpu}\n")
    return path


def test_jobs_sum_per_rule(tmp_path):
    b = tmp_path / "results" / "benchmarks"
    files = [
        bench(b / "train" / "a.tsv", 10.0, 9.0),
        bench(b / "train" / "b.tsv", 30.0, 28.0, rss=300.0),
        bench(b / "synth_sweep.tsv", 60.0, 110.0),
    ]
    assert [rule_of(f) for f in files] == ["train", "train", "synth_sweep"]
    table = summarize(files).set_index("rule")
    assert table.loc["train", "jobs"] == 2 and table.loc["train", "job_seconds"] == 40.0
    assert table.loc["train", "max_job_seconds"] == 30.0 and table.loc["train", "max_rss_mb"] == 300.0
    assert table.loc["synth_sweep", "cpu_seconds"] == 110.0
    assert table["share"].sum() == pytest.approx(1.0) and table.loc["synth_sweep", "share"] == pytest.approx(0.6)
    out = tmp_path / "timing.csv"
    assert main(["report", "timing", *map(str, files), "--out", str(out)]) == 0
    assert list(pd.read_csv(out)["rule"]) == ["synth_sweep", "train"]


def test_a_file_that_is_not_a_benchmark_is_named(tmp_path, capsys):
    bad = tmp_path / "benchmarks" / "x.tsv"
    bad.parent.mkdir()
    bad.write_text("hello\n")
    assert main(["report", "timing", str(bad), "--out", str(tmp_path / "t.csv")]) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "\n" not in err.strip()


def test_training_time_comes_from_metrics_json(tmp_path):
    import json

    run = tmp_path / "runs" / "r1" / "metrics.json"
    run.parent.mkdir(parents=True)
    run.write_text(json.dumps({"wall_time_s": 12.5}))
    table = summarize([run, bench(tmp_path / "benchmarks" / "hw_traces.tsv", 7.5, 7.0)]).set_index("rule")
    assert table.loc["train", "job_seconds"] == 12.5 and table.loc["hw_traces", "job_seconds"] == 7.5


def test_a_search_adds_the_training_of_its_own_runs(tmp_path):
    """A search's runs that no table trains appear as `train (search)`; shared ones are not counted twice."""
    from qsnn.search import COLUMNS, write_search

    rows = [
        dict.fromkeys(COLUMNS)
        | {
            "search": "s",
            "profile": "quick",
            "run_id": rid,
            "shared_run": shared,
            "train_seconds": sec,
            "status": "final",
            "w_bits": 1,
            "s_bits": 1,
            "T": 1,
            "bit_budget": 1,
            "round": 1,
            "epochs": 1,
        }
        for rid, shared, sec in (("a", False, 4.0), ("b", True, 100.0), ("c", False, 6.0))
    ]
    csv = write_search(pd.DataFrame(rows, columns=COLUMNS), tmp_path / "search" / "s.csv")
    table = summarize([csv, bench(tmp_path / "benchmarks" / "hw_traces.tsv", 7.5, 7.0)]).set_index("rule")
    assert table.loc["train (search)", "jobs"] == 2 and table.loc["train (search)", "job_seconds"] == 10.0
