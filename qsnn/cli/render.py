"""``qsnn render``: LaTeX tables and results/paper.tex from the experiment summary (Jinja2).

qsnn render table N --experiments CSV [--hardware DIR] --profile P --out TEX
qsnn render paper --out results/paper.tex [--profile P]
"""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    from qsnn.report.tables import PROFILES, TABLES, TEMPLATE_DIR

    p = sub.add_parser("render", help="render LaTeX tables / paper.tex from results")
    group = p.add_subparsers(dest="render_what", required=True, metavar="WHAT")

    t = group.add_parser("table", help="one of the paper's Tables 1-5 as booktabs LaTeX")
    t.add_argument("number", type=int, choices=TABLES, help="table number (1-5)")
    t.add_argument("--experiments", type=Path, required=True, help="results/summary/experiments.csv (or a subset)")
    t.add_argument(
        "--hardware",
        type=Path,
        default=None,
        help="results/hardware; Table 4 reads accelerator.csv there when experiments.csv lacks fps/latency",
    )
    t.add_argument("--profile", choices=PROFILES, required=True, help="profile that produced the results")
    t.add_argument("--out", type=Path, required=True, help="output .tex (written atomically)")
    t.add_argument(
        "--html", type=Path, default=None, help="also write the table as an HTML fragment (for Snakemake's HTML report)"
    )
    t.add_argument("--templates", type=Path, default=TEMPLATE_DIR, help=f"template folder (default {TEMPLATE_DIR})")
    t.set_defaults(func=run_table)

    q = group.add_parser("paper", help="results/paper.tex that inputs all tables and figures")
    q.add_argument("--out", type=Path, required=True, help="output .tex; tables/ and figures/ are relative to it")
    q.add_argument("--profile", choices=PROFILES, default=None, help="state this profile in the preamble text")
    q.add_argument("--templates", type=Path, default=TEMPLATE_DIR, help=f"template folder (default {TEMPLATE_DIR})")
    q.add_argument("--tables", type=_numbers, default=TABLES, help="tables to input, e.g. 1,2,3")
    q.add_argument("--figures", type=_numbers, default=(1, 2, 3, 4, 5, 6), help="figures to input, e.g. 1,4")
    q.set_defaults(func=run_paper)


def _numbers(text: str) -> tuple[int, ...]:
    import argparse

    try:
        return tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of numbers, e.g. 1,2,3") from None


def run_table(args) -> int:
    from qsnn.report.tables import render_table, write_atomic

    tex = render_table(args.number, args.experiments, args.profile, args.hardware, args.templates)
    print(f"wrote {write_atomic(tex, args.out)}")
    if args.html is not None:
        from qsnn.report.tables import render_table_html

        page = render_table_html(args.number, args.experiments, args.profile, args.hardware)
        print(f"wrote {write_atomic(page, args.html)}")
    return 0


def run_paper(args) -> int:
    from qsnn.report.tables import render_paper, write_atomic

    tex = render_paper(args.profile, tables=args.tables, figures=args.figures, template_dir=args.templates)
    print(f"wrote {write_atomic(tex, args.out)}")
    return 0
