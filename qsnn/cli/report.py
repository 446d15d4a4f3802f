"""``qsnn report ...``: validate a workflow config, expand it into a plan, compute full-scale
costs, build ``experiments.csv`` and the reproduction report. The Snakemake rules call these."""

from __future__ import annotations

import json
from pathlib import Path

from qsnn import resources


def register(sub) -> None:
    p = sub.add_parser("report", help="workflow config, experiments.csv and the reproduction report")
    rsub = p.add_subparsers(dest="report_command", required=True, metavar="ACTION")

    v = rsub.add_parser(
        "validate-config", help="validate workflow config files (merged in order) and print the plan size"
    )
    v.add_argument(
        "configs", nargs="+", type=Path, help="YAML files, later ones override earlier ones (like --configfile)"
    )
    v.set_defaults(func=run_validate)

    pl = rsub.add_parser("plan", help="expand a config into results/summary/plan.json (table rows, runs)")
    src = pl.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", type=Path, nargs="+", help="YAML config files, merged in order")
    src.add_argument("--config-json", help="the resolved config as JSON (what Snakemake passes)")
    pl.add_argument("--out", type=Path, required=True)
    pl.set_defaults(func=run_plan)

    c = rsub.add_parser("costs", help="full-scale Params/SOPs/S-ACE for every (arch, dataset, W/S/T) of a plan")
    c.add_argument("--plan", type=Path, required=True)
    c.add_argument("--out", type=Path, required=True)
    c.set_defaults(func=run_costs)

    s = rsub.add_parser("summarize", help="build results/summary/experiments.csv (or one table's / figure's subset)")
    s.add_argument("--plan", type=Path, required=True)
    s.add_argument("--costs", type=Path, help="plan_costs.csv; omit only when the selection has no table rows")
    s.add_argument("--runs", type=Path, default=Path("results/runs"))
    s.add_argument("--hardware", type=Path, default=Path("results/hardware"))
    s.add_argument(
        "--paper-dir",
        type=Path,
        default=resources.paper_tables_dir(),
        help="folder of the transcribed paper tables table{1..5}.csv",
    )
    s.add_argument("--select", default="all", help="all | table1..table5 | fig1..fig6")
    s.add_argument("--out", type=Path, required=True)
    s.set_defaults(func=run_summarize)

    r = rsub.add_parser("reproduction", help="write results/report/reproduction.md from experiments.csv")
    r.add_argument("--experiments", type=Path, required=True)
    r.add_argument(
        "--paper-dir",
        type=Path,
        default=resources.paper_tables_dir(),
        help="folder of the transcribed paper tables table{1..5}.csv",
    )
    r.add_argument("--out", type=Path, required=True, help="the report as Markdown (results/report/reproduction.md)")
    r.add_argument(
        "--html",
        type=Path,
        default=None,
        help="also write it as an HTML page (for Snakemake's report, which only offers Markdown as a download)",
    )
    r.set_defaults(func=run_reproduction)

    tm = rsub.add_parser("timing", help="per-rule time summary of Snakemake benchmark files")
    tm.add_argument("benchmarks", type=Path, nargs="*", help="benchmark .tsv files (results/benchmarks/...)")
    tm.add_argument("--out", type=Path, required=True, help="CSV: one row per rule (jobs, job-seconds, share)")
    tm.set_defaults(func=run_timing)


def _merged_yaml(paths: list[Path]) -> dict:
    """Several config files merged like Snakemake's --configfile list; each may `extends:` a base."""
    from qsnn.experiments import read_yaml, resolve_extends

    merged: dict = {}
    for path in paths:
        _deep_update(merged, resolve_extends(read_yaml(path), Path(path).parent))
    return merged


def _deep_update(base: dict, new: dict) -> None:
    """Merge like Snakemake's --configfile: nested mappings merge, everything else replaces."""
    for key, value in new.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _deep_update(base[key], value)
        else:
            base[key] = value


def write_text_atomic(path: Path, text: str) -> None:
    from qsnn.io import atomic_write_text

    atomic_write_text(path, text)


def run_validate(args) -> int:
    from qsnn.experiments import expand, load_config

    plan = expand(load_config(_merged_yaml(args.configs)))
    print(f"OK: profile {plan.profile}, {len(plan.entries)} entries, {len(plan.runs)} training runs")
    return 0


def run_plan(args) -> int:
    from qsnn.experiments import plan_from_config

    raw = json.loads(args.config_json) if args.config_json else _merged_yaml(args.config)
    plan = plan_from_config(raw)
    doc = {"profile": plan.profile, "runs": [r.run_id for r in plan.runs], "entries": plan.to_records()}
    write_text_atomic(args.out, json.dumps(doc, indent=1, sort_keys=True) + "\n")
    print(f"wrote {args.out}: {len(plan.entries)} entries, {len(plan.runs)} runs")
    return 0


def run_costs(args) -> int:
    from qsnn.report.summarize import load_plan, plan_costs, write_csv_atomic

    costs = plan_costs(load_plan(args.plan))
    write_csv_atomic(costs, args.out)
    print(f"wrote {args.out}: {len(costs)} (arch, dataset, W/S/T) cost rows")
    return 0


def run_summarize(args) -> int:
    import pandas as pd

    from qsnn.report.summarize import COST_COLUMNS, load_plan, summarize, write_experiments

    costs = pd.read_csv(args.costs) if args.costs else pd.DataFrame(columns=COST_COLUMNS)
    frame = summarize(load_plan(args.plan), costs, args.runs, args.hardware, args.paper_dir, args.select)
    if args.costs is None and frame["arch"].astype(str).ne("").any():
        raise ValueError(f"--select {args.select} has table rows, so it needs --costs results/costs/plan_costs.csv")
    write_experiments(frame, args.out)
    print(f"wrote {args.out}: {len(frame)} rows ({args.select})")
    return 0


def run_reproduction(args) -> int:
    from qsnn.report.reproduction import build_report
    from qsnn.summary import TEXT_COLUMNS, read_experiments

    frame = read_experiments(args.experiments)
    # The report compares text cells with "" and tests table numbers with notna(): blank, not NA.
    frame[list(TEXT_COLUMNS)] = frame[list(TEXT_COLUMNS)].astype(object).fillna("")
    frame["table"] = frame["table"].astype("Float64").astype(object).where(frame["table"].notna(), None)
    text = build_report(frame, args.paper_dir)
    write_text_atomic(args.out, text)
    print(f"wrote {args.out}")
    if args.html is not None:
        from qsnn.report.html import markdown_to_html, page

        write_text_atomic(args.html, page("Reproduction report", markdown_to_html(text)))
        print(f"wrote {args.html}")
    return 0


def run_timing(args) -> int:
    from qsnn.io import atomic_write_csv
    from qsnn.report.timing import summarize

    table = summarize(args.benchmarks)
    atomic_write_csv(table, args.out)
    print(f"wrote {args.out}: {len(table)} rules, {table['job_seconds'].sum():.0f} job-seconds")
    return 0
