"""HTML for Snakemake's report (``snakemake --report results/report.html``): one page style, and the
small Markdown subset the reproduction report is written in.

The report shows an HTML result in a frame, as its own page, so each page carries its style;
Markdown or CSV results would only be offered as downloads.
"""

from __future__ import annotations

import html
import re

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       font-size: 14px; color: #1f2937; margin: 16px; line-height: 1.45; }
h1 { font-size: 20px; } h2 { font-size: 17px; margin-top: 28px; border-bottom: 1px solid #d1d5db; }
p.caption { font-weight: 600; max-width: 70em; }
p.notes, blockquote { color: #374151; max-width: 70em; }
blockquote { border-left: 4px solid #f59e0b; background: #fffbeb; margin: 8px 0; padding: 6px 12px; }
table { border-collapse: collapse; margin: 8px 0; }
thead th { border-top: 2px solid #111827; border-bottom: 1px solid #111827; text-align: left; }
th, td { padding: 3px 10px; vertical-align: top; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody + tbody tr:first-child td { border-top: 1px solid #9ca3af; }
table { border-bottom: 2px solid #111827; }
tr.group td { font-weight: 600; text-align: center; background: #f3f4f6; }
code { background: #f3f4f6; padding: 0 3px; border-radius: 3px; }
"""


def page(title: str, body: str) -> str:
    """A complete HTML page with the report's style."""
    return (
        f'<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
        f"<style>{STYLE}</style></head>\n<body>\n{body}\n</body></html>\n"
    )


def _inline(text: str) -> str:
    """Escape, then `code` and **bold** (the only inline Markdown the reports use)."""
    parts = re.split(r"(`[^`]*`)", text)
    out = []
    for part in parts:
        if part.startswith("`") and part.endswith("`") and len(part) >= 2:
            out.append(f"<code>{html.escape(part[1:-1])}</code>")
        else:
            out.append(re.sub(r"\*\*(.+?)\*\*", r"<b>\1</b>", html.escape(part)))
    return "".join(out)


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _table(lines: list[str]) -> str:
    header, align, body = _cells(lines[0]), _cells(lines[1]), [_cells(line) for line in lines[2:]]
    right = [a.endswith(":") for a in align]
    cls = [' class="num"' if r else "" for r in right]
    head = "".join(f"<th{c}>{_inline(h)}</th>" for h, c in zip(header, cls))
    rows = "".join("<tr>" + "".join(f"<td{c}>{_inline(v)}</td>" for v, c in zip(row, cls)) + "</tr>\n" for row in body)
    return f"<table><thead><tr>{head}</tr></thead><tbody>\n{rows}</tbody></table>"


def markdown_to_html(text: str) -> str:
    """The Markdown of :mod:`qsnn.report.reproduction` as HTML: ``#`` headings, ``>`` quotes,
    ``-`` lists, pipe tables (``---:`` right-aligns), paragraphs, `code` and **bold**."""
    blocks, lines = [], text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        run = [line]
        kind = (
            "table"
            if line.startswith("|")
            else "quote"
            if line.startswith(">")
            else "list"
            if line.startswith("- ")
            else "p"
        )
        if line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            blocks.append(f"<h{level}>{_inline(line[level:].strip())}</h{level}>")
            i += 1
            continue
        i += 1
        while i < len(lines) and lines[i].strip() and not lines[i].startswith("#"):
            nxt = lines[i]
            same = {"table": nxt.startswith("|"), "quote": nxt.startswith(">"), "list": nxt.startswith("- ")}.get(
                kind, not nxt.startswith(("|", ">", "- "))
            )
            if not same:
                break
            run.append(nxt)
            i += 1
        if kind == "table" and len(run) >= 2:
            blocks.append(_table(run))
        elif kind == "quote":
            blocks.append("<blockquote>" + " ".join(_inline(r.lstrip(">").strip()) for r in run) + "</blockquote>")
        elif kind == "list":
            blocks.append("<ul>" + "".join(f"<li>{_inline(r[2:])}</li>" for r in run) + "</ul>")
        else:
            blocks.append("<p>" + " ".join(_inline(r) for r in run) + "</p>")
    return "\n".join(blocks)
