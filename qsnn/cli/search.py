"""``qsnn search``: allocation searches of the workflow config (``search:``; see :mod:`qsnn.search`).

    qsnn search --dry-run [--config FILE] [--name N]     # the allocations and their S-ACE, nothing trains
    qsnn search select --config-json J --name N --round R [--previous JSON] --out JSON   # a halving round
    qsnn search summarize --config-json J --name N [--rounds JSON ...] --out CSV          # results/search/N.csv
    qsnn search table --search CSV --profile P --out TEX [--html HTML]                  # best W/S/T per budget
    qsnn search caption --search CSV --profile P --out RST                              # Fig. 7's report caption

The searches themselves run in the workflow (``snakemake results/search/NAME.csv``): every
allocation is an ordinary ``train`` job; ``select`` and ``summarize`` are its bookkeeping steps.
"""

from __future__ import annotations

import json
from pathlib import Path

DEFAULT_CONFIG = Path("config/config.yaml")


def register(sub) -> None:
    from qsnn.profiles import PROFILES

    p = sub.add_parser("search", help="allocation searches: list (--dry-run), select rounds, summarize, render")
    p.add_argument(
        "--dry-run", action="store_true", help="list the allocations each search expands to, with their S-ACE"
    )
    p.add_argument("--config", type=Path, default=None, help=f"workflow config (default {DEFAULT_CONFIG})")
    p.add_argument("--name", default=None, help="only this search (default: every search of the config)")
    p.set_defaults(func=run_dry_run)
    actions = p.add_subparsers(dest="search_action", metavar="ACTION")

    s = actions.add_parser("select", help="rank one halving round and write the runs of the next (workflow step)")
    _config_source(s)
    s.add_argument("--name", required=True, help="the search")
    s.add_argument("--round", type=int, required=True, help="the round just trained (1 = the first)")
    s.add_argument("--previous", type=Path, default=None, help="the previous round's record (rounds after the first)")
    s.add_argument(
        "--runs", type=Path, default=Path("results/runs"), help="folder of results/runs/{run_id}/metrics.json"
    )
    s.add_argument("--out", type=Path, required=True, help="this round's record (JSON)")
    s.set_defaults(func=run_select)

    m = actions.add_parser("summarize", help="write results/search/NAME.csv (workflow step)")
    _config_source(m)
    m.add_argument("--name", required=True, help="the search")
    m.add_argument("--rounds", type=Path, nargs="*", default=[], help="the halving round records, in order")
    m.add_argument(
        "--runs", type=Path, default=Path("results/runs"), help="folder of results/runs/{run_id}/metrics.json"
    )
    m.add_argument("--out", type=Path, required=True, help="the search CSV (written atomically)")
    m.set_defaults(func=run_summarize)

    for name, helptext, func in (
        ("table", "the best allocation per budget as booktabs LaTeX", run_table),
        ("caption", "Fig. 7's caption for the Snakemake report (reStructuredText)", run_caption),
    ):
        t = actions.add_parser(name, help=helptext)
        t.add_argument("--search", type=Path, required=True, help="results/search/NAME.csv")
        t.add_argument("--profile", choices=PROFILES, required=True, help="profile that produced the search")
        t.add_argument("--out", type=Path, required=True, help="output file (written atomically)")
        if name == "table":
            t.add_argument("--html", type=Path, default=None, help="also write the table as an HTML fragment")
            t.add_argument(
                "--templates", type=Path, default=None, help="template folder (default: the shipped tables/)"
            )
        t.set_defaults(func=func)


def _config_source(parser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--config", type=Path, help="workflow config YAML")
    src.add_argument("--config-json", help="the resolved config as JSON (what Snakemake passes)")


def _load(args):
    from qsnn.experiments import load_config

    if getattr(args, "config_json", None):
        return load_config(json.loads(args.config_json))
    path = args.config or DEFAULT_CONFIG
    if not Path(path).is_file():
        raise FileNotFoundError(
            f"--config {path}: no such file; pass the workflow config, e.g. --config config/config.yaml"
        )
    return load_config(path)


def run_dry_run(args) -> int:
    from qsnn.search import find_search

    if not args.dry_run:
        raise ValueError(
            "searches run in the workflow (`snakemake results/search/NAME.csv`); "
            "list a search's allocations with `qsnn search --dry-run`, or give an ACTION"
        )
    cfg = _load(args)
    specs = [find_search(cfg, args.name)] if args.name else list(cfg.searches)
    if not specs:
        print(f"{args.config or DEFAULT_CONFIG}: no search: block; nothing to list")
    for spec in specs:
        print(_describe(cfg, spec))
    return 0


def _describe(cfg, spec) -> str:
    from qsnn.profiles import notice_suffix
    from qsnn.search import dry_run, max_runs

    table = dry_run(cfg, spec)
    unit, factor = _unit(table["s_ace_G"])
    shown = table.assign(
        **{
            f"S-ACE ({unit})": (table["s_ace_G"] * factor).map(lambda v: f"{v:.4g}"),
            "planned": table["shared_run"].map({True: "yes", False: ""}),
        }
    )
    columns = [
        "trained_dataset",
        "trained_arch",
        "wst",
        "bit_budget",
        "budgets",
        f"S-ACE ({unit})",
        "cost_scale",
        "first_run",
        "planned",
    ]
    rounds = max_runs(spec)
    head = (
        f"search {spec.name}, profile {cfg.profile}{notice_suffix(cfg.profile)}: {len(table)} allocations, "
        f"mode {spec.mode}, budgets {', '.join(map(str, spec.budgets))}; {spec.strategy.describe()}; "
        f"runs per round at most {' -> '.join(map(str, rounds))}; 'planned': the tables train that run too"
    )
    return head + "\n" + shown[columns].to_string(index=False) + "\n"


def _unit(values) -> tuple[str, float]:
    from qsnn.search import cost_unit

    return cost_unit(values)


def run_select(args) -> int:
    from qsnn.search import find_search, read_round, select_round, write_round

    cfg = _load(args)
    spec = find_search(cfg, args.name)
    if args.round > 1 and args.previous is None:
        raise ValueError(f"--round {args.round} needs --previous (the record of round {args.round - 1})")
    previous = read_round(args.previous) if args.previous else None
    record = select_round(cfg, spec, args.round, previous, args.runs)
    write_round(record, args.out)
    print(f"wrote {args.out}: round {args.round} ranked {len(record['ranked'])}, {len(record['next'])} go on")
    return 0


def run_summarize(args) -> int:
    from qsnn.search import find_search, read_round, summarize, write_search

    cfg = _load(args)
    frame = summarize(cfg, find_search(cfg, args.name), args.runs, [read_round(p) for p in args.rounds])
    write_search(frame, args.out)
    print(f"wrote {args.out}: {len(frame)} allocations, {int((frame['status'] == 'final').sum())} in the last round")
    return 0


def run_table(args) -> int:
    from qsnn.io import atomic_write_text
    from qsnn.search import render_table, render_table_html

    print(f"wrote {atomic_write_text(args.out, render_table(args.search, args.profile, args.templates))}")
    if args.html is not None:
        print(f"wrote {atomic_write_text(args.html, render_table_html(args.search, args.profile))}")
    return 0


def run_caption(args) -> int:
    from qsnn.io import atomic_write_text
    from qsnn.search import figure_caption, read_search

    text = figure_caption(read_search(args.search, args.profile), args.profile)
    print(f"wrote {atomic_write_text(args.out, text)}")
    return 0
