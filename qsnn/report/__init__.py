"""Aggregation and reporting: ``experiments.csv`` (:mod:`.summarize`), the reproduction report
(:mod:`.reproduction`), the paper's internal inconsistencies (:mod:`.errata`), the rendered
LaTeX / HTML tables and ``paper.tex`` (:mod:`.tables`, CLI ``qsnn render``) and the timing summary
(:mod:`.timing`).

The names below load on first use, so ``qsnn render`` (and every ``qsnn`` command, which registers
it) does not import the cost metrics and torch just to start.
"""

from importlib import import_module

_EXPORTS = {
    "COLUMNS": "qsnn.report.summarize",
    "plan_costs": "qsnn.report.summarize",
    "summarize": "qsnn.report.summarize",
    "Erratum": "qsnn.report.errata",
    "find_errata": "qsnn.report.errata",
    "build_report": "qsnn.report.reproduction",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'qsnn.report' has no attribute {name!r}")
