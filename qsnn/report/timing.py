"""Where a workflow run's time went: Snakemake's ``benchmark:`` files summed per rule.

Each heavy hardware rule writes ``results/benchmarks/<rule>.tsv``: one row per job with its wall
seconds (``s``), CPU seconds (``cpu_time``) and peak memory (``max_rss``, MB). Training runs are
read from their ``metrics.json`` (``wall_time_s``, the run's own training and measurement time,
summed over resumed sessions), so results trained before this summary existed need no rerun; an
allocation search's runs that no table trains, from its CSV (``train (search)``). The summary has one row per rule:
jobs, job-seconds, the longest job, CPU-seconds, peak memory and the rule's share of all
job-seconds. Job-seconds add up parallel jobs, so they exceed the wall time of a run on 2 cores.

CPU-seconds are what Snakemake's benchmark samples of the job's process tree saw (every 0.5 s for
the first 15 s, then every 30 s): a child process that starts and ends between two samples is missed, so a
rule that runs many short tool processes (``synth_sweep``: 60 yosys/nextpnr runs, 505 CPU-s
measured by the tools themselves against 74 sampled) is undercounted; ``synthesis.csv`` records
each tool run's own CPU time.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

COLUMNS = ("rule", "jobs", "job_seconds", "max_job_seconds", "cpu_seconds", "max_rss_mb", "share")


def rule_of(path: Path) -> str:
    """``results/benchmarks/train/ID.tsv`` -> ``train``; ``results/benchmarks/synth_sweep.tsv`` -> ``synth_sweep``."""
    path = Path(path)
    return path.parent.name if path.parent.name != "benchmarks" else path.stem


def read_benchmark(path: Path) -> pd.DataFrame:
    if Path(path).name == "metrics.json":
        return _read_metrics(Path(path))
    if Path(path).suffix == ".csv":
        return _read_search(Path(path))
    try:
        frame = pd.read_csv(path, sep="\t")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, FileNotFoundError) as err:
        raise ValueError(f"{path}: not a Snakemake benchmark file ({type(err).__name__}); rerun its rule") from None
    if "s" not in frame.columns:
        raise ValueError(f"{path}: no 's' column; it is not a Snakemake benchmark file")
    return frame.assign(rule=rule_of(path))


def _read_metrics(path: Path) -> pd.DataFrame:
    import json

    try:
        seconds = float(json.loads(path.read_text())["wall_time_s"])
    except (OSError, ValueError, KeyError, TypeError):
        raise ValueError(f"{path}: no readable wall_time_s; retrain or re-evaluate the run") from None
    return pd.DataFrame({"s": [seconds], "cpu_time": [float("nan")], "max_rss": [float("nan")], "rule": ["train"]})


def _read_search(path: Path) -> pd.DataFrame:
    """An allocation search's own training (``results/search/NAME.csv``, owned by qsnn.search): the
    seconds of its runs that no table trains (``shared_run`` false; a shared run is counted once,
    from its metrics.json, under ``train``), every round of an allocation included."""
    from qsnn.search import read_search

    frame = read_search(path)
    own = frame[~frame["shared_run"].fillna(False).astype(bool) & frame["train_seconds"].notna()]
    return pd.DataFrame(
        {
            "s": own["train_seconds"].astype(float).to_numpy(),
            "cpu_time": float("nan"),
            "max_rss": float("nan"),
            "rule": "train (search)",
        }
    )


def summarize(paths: list[Path]) -> pd.DataFrame:
    if not paths:
        return pd.DataFrame(columns=COLUMNS)
    rows = pd.concat([read_benchmark(p) for p in paths], ignore_index=True)
    for column in ("cpu_time", "max_rss"):
        rows[column] = pd.to_numeric(rows.get(column, pd.Series(dtype=float)), errors="coerce")
    table = (
        rows.groupby("rule")
        .agg(
            jobs=("s", "size"),
            job_seconds=("s", "sum"),
            max_job_seconds=("s", "max"),
            cpu_seconds=("cpu_time", lambda v: v.sum(min_count=1)),
            max_rss_mb=("max_rss", "max"),
        )
        .reset_index()
    )
    table["share"] = table["job_seconds"] / table["job_seconds"].sum()
    return table.sort_values("job_seconds", ascending=False)[list(COLUMNS)].round(3)
