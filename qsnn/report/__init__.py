"""Aggregation and reporting: ``experiments.csv`` (:mod:`.summarize`), the reproduction report
(:mod:`.reproduction`) and the paper's internal inconsistencies (:mod:`.errata`)."""

from qsnn.report.errata import Erratum, find_errata
from qsnn.report.reproduction import build_report
from qsnn.report.summarize import COLUMNS, plan_costs, summarize

__all__ = ["COLUMNS", "Erratum", "build_report", "find_errata", "plan_costs", "summarize"]
