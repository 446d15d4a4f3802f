"""The paper's Tables 1-5 as transcribed in ``data/paper/table{1..5}.csv``: one schema, one loader.

Every reader of the transcribed tables (the experiment plan, ``qsnn paper-costs``, the summary,
the reproduction report, the Table 4 accelerator model, the tests) goes through
:func:`read_table`, so a blank means the same thing everywhere and a corrupt file fails the
same way everywhere: a :class:`PaperTableError` naming the file, the line and the row.

Schema (the columns are documented in ``data/paper/README.md``):

* :data:`INTEGER_COLUMNS` (``row, w_bits, s_bits, T``): non-negative integers, never blank;
  ``row`` is unique within a table;
* :data:`TEXT_COLUMNS`: strings, a blank is ``""`` (a missing optional one is added as ``""``);
* :data:`NUMBER_COLUMNS` and every ``acc_<dataset>`` column: floats, a blank (the paper's '-' or
  nothing printed) is NaN; any other text is an error. A table keeps only the number columns
  it prints, so ``"sops_G" in frame.columns`` says whether the table prints SOPs.

:data:`TOLERANCE` is the one tolerance for "ours matches a published value" (and for grouping
printed values that agree), used by ``qsnn paper-costs``, the consistency checks and the
reproduction report.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

TABLES = (1, 2, 3, 4, 5)
TOLERANCE = 0.02  # "within 2 %": ours against a published value, and printed values against each other
REQUIRED_COLUMNS = ("row", "source", "arch_id", "dataset", "w_bits", "s_bits", "T")
INTEGER_COLUMNS = ("row", "w_bits", "s_bits", "T")
TEXT_COLUMNS = ("group", "method", "source", "arch", "arch_id", "dataset", "device", "note")
NUMBER_COLUMNS = ("bit_budget", "params_M", "sops_G", "s_ace_G", "ns_ace_G", "fps", "latency")
ACCURACY_PREFIX = "acc_"
_INTEGER = re.compile(r"\s*\d+\s*")


class PaperTableError(ValueError):
    """A transcribed paper table that cannot be read; the message names the file, the line and the fix."""


def default_dir() -> Path:
    """``data/paper``, shipped as package data (:mod:`qsnn.resources`)."""
    from qsnn import resources

    return resources.paper_tables_dir()


def table_path(number: int, root: Path | None = None) -> Path:
    if number not in TABLES:
        raise ValueError(f"table number {number} is not one of the paper's Tables 1-5")
    return Path(root or default_dir()) / f"table{number}.csv"


def read_table(number: int, root: Path | None = None, printed: bool = False) -> pd.DataFrame:
    """Table ``number`` (1-5) of ``root`` (default: the shipped ``data/paper``), checked and typed.

    ``printed=True`` keeps every cell as the text printed in the paper (``68.00`` stays ``68.00``;
    blanks are ``""``), after the same checks: for comparing the transcription with the paper.
    """
    path = table_path(number, root)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} is missing; the transcribed paper tables ship with qsnn (data/paper/table1..5.csv)"
        )
    return read_table_file(path, printed)


def read_tables(root: Path | None = None, numbers=TABLES, missing_ok: bool = False) -> dict[int, pd.DataFrame]:
    """``{number: read_table(number, root)}``; ``missing_ok`` skips tables that are not there."""
    return {n: read_table(n, root) for n in numbers if not missing_ok or table_path(n, root).is_file()}


def read_table_file(path: Path, printed: bool = False) -> pd.DataFrame:
    """One transcribed table from any path (e.g. ``qsnn synth accel --paper-table``); see :func:`read_table`."""
    path = Path(path)
    frame = _read_text(path)
    _check_columns(frame, path)
    _check_integers(frame, path)
    numbers = number_columns(frame.columns)
    if not printed:
        for column in numbers:
            frame[column] = _numbers(frame, column, path)
        for column in INTEGER_COLUMNS:
            frame[column] = frame[column].astype(int)
    else:
        for column in numbers:
            _numbers(frame, column, path)  # the same check, the text kept
    for column in TEXT_COLUMNS:
        if column not in frame.columns:
            frame[column] = ""
    return frame


def number_columns(columns) -> list[str]:
    return [c for c in columns if c in NUMBER_COLUMNS or str(c).startswith(ACCURACY_PREFIX)]


def _read_text(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        reason = str(err).strip().splitlines()[-1] if str(err).strip() else type(err).__name__
        raise PaperTableError(
            f"{path}: not a readable CSV ({reason}); restore it with `git checkout -- {path}`"
        ) from None


def _check_columns(frame: pd.DataFrame, path: Path) -> None:
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise PaperTableError(
            f"{path}: missing column(s) {', '.join(missing)}; restore it with `git checkout -- {path}`"
        )
    known = set(INTEGER_COLUMNS) | set(TEXT_COLUMNS) | set(NUMBER_COLUMNS)
    unknown = [c for c in frame.columns if c not in known and not str(c).startswith(ACCURACY_PREFIX)]
    if unknown:
        raise PaperTableError(
            f"{path}: unknown column(s) {', '.join(map(str, unknown))}; the columns are those of "
            "data/paper/README.md (qsnn.paper_tables)"
        )


def _check_integers(frame: pd.DataFrame, path: Path) -> None:
    seen: dict[int, int] = {}
    for line, rec in enumerate(frame.to_dict(orient="records"), start=2):  # line 1 is the header
        for column in INTEGER_COLUMNS:
            if not _INTEGER.fullmatch(str(rec[column])):
                raise PaperTableError(
                    f"{path} line {line}: {column} is {rec[column]!r}, expected a non-negative integer"
                )
        row = int(rec["row"])
        if row in seen:
            raise PaperTableError(
                f"{path} line {line}: row number {row} repeats line {seen[row]}; each printed row needs its own number"
            )
        seen[row] = line


def _numbers(frame: pd.DataFrame, column: str, path: Path) -> pd.Series:
    text = frame[column].str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    bad = values.isna() & (text != "")
    if bad.any():
        i = int(bad.idxmax())
        raise PaperTableError(
            f"{path} line {i + 2} (row {frame.loc[i, 'row'].strip()}): {column} is "
            f"{frame.loc[i, column]!r}, expected a number or a blank (a printed '-' is transcribed as a blank)"
        )
    return values.astype(float)


def long_accuracy(frame: pd.DataFrame) -> pd.DataFrame:
    """Melt the ``acc_<dataset>`` columns into rows ``row, dataset, acc`` (dataset as registry name)."""
    acc_cols = [c for c in frame.columns if c.startswith(ACCURACY_PREFIX)]
    out = frame.melt(id_vars=["row"], value_vars=acc_cols, var_name="dataset", value_name="acc").dropna(subset=["acc"])
    out["dataset"] = out["dataset"].str.removeprefix(ACCURACY_PREFIX).str.replace("_", "-")
    return out.sort_values(["row", "dataset"]).reset_index(drop=True)


__all__ = [
    "INTEGER_COLUMNS",
    "NUMBER_COLUMNS",
    "PaperTableError",
    "REQUIRED_COLUMNS",
    "TABLES",
    "TEXT_COLUMNS",
    "TOLERANCE",
    "long_accuracy",
    "number_columns",
    "read_table",
    "read_table_file",
    "read_tables",
    "table_path",
]
