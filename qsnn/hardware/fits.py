"""Fig. 3 fits: toggles per synaptic operation against the Bit Budget.

Two least-squares models per (level, family, primitive):
  * ``bb``:   toggles_per_sop = a + b * BB                (the paper's claim: linear in BB = T*W*S)
  * ``bb+t``: toggles_per_sop = a + b * BB + c * T        (plus a fixed cost per time step)

A synaptic operation is one synapse over a sample's T steps (the unit BB costs, see
:mod:`qsnn.hardware.netlist_activity`), so ``c`` is the cost that each extra time step
adds per synapse regardless of W and S (neuron update, control, clocking of the
datapath). R^2 = 1 - SS_res / SS_tot on the fitted points; it is NaN when there are
not more points than coefficients (nothing to test).

These are fits of *simulated toggles*; they are never converted to energy here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# The columns of results/hardware/activity.csv (RTL + netlist rows, written by
# qsnn.hardware.netlist_activity, RTL rows by qsnn.hardware.rtl_activity) and those of the fits
# Fig. 3 reads: one definition, imported by the writers and by figures/fig3.py.
ACTIVITY_COLUMNS = (
    "level",
    "family",
    "w_bits",
    "s_bits",
    "T",
    "bit_budget",
    "primitive",
    "toggles",
    "sops",
    "toggles_per_sop",
    "source",
)
FIT_COLUMNS = ("level", "family", "primitive", "model", "a", "b", "c", "r2")

MODELS = {"bb": ("bit_budget",), "bb+t": ("bit_budget", "T")}
GROUP_KEYS = ("level", "family", "primitive")


@dataclass(frozen=True)
class Fit:
    model: str
    coefficients: dict[str, float]
    r2: float
    n_points: int


def fit_linear(
    frame: pd.DataFrame, regressors: tuple[str, ...], target: str = "toggles_per_sop"
) -> tuple[np.ndarray, float]:
    """Least squares ``target ~ 1 + regressors``; returns (coefficients, R^2)."""
    missing = [c for c in (*regressors, target) if c not in frame.columns]
    if missing:
        raise ValueError(f"columns {missing} missing; the activity table needs {list(regressors) + [target]}")
    y = frame[target].to_numpy(float)
    X = np.column_stack([np.ones(len(frame)), *(frame[c].to_numpy(float) for c in regressors)])
    coef, *_ = np.linalg.lstsq(X, y, rcond=None)
    if len(y) <= X.shape[1]:
        return coef, float("nan")
    ss_res = float(((y - X @ coef) ** 2).sum())
    ss_tot = float(((y - y.mean()) ** 2).sum())
    return coef, (1.0 - ss_res / ss_tot) if ss_tot > 0 else float("nan")


def fit_group(frame: pd.DataFrame) -> list[Fit]:
    fits = []
    for model, regressors in MODELS.items():
        coef, r2 = fit_linear(frame, regressors)
        names = ("a", "b", "c")[: len(coef)]
        fits.append(Fit(model, dict(zip(names, map(float, coef))), r2, len(frame)))
    return fits


def fit_activity(activity: pd.DataFrame) -> pd.DataFrame:
    """One row per (level, family, primitive, model) with a, b, c and R^2."""
    if activity.empty:
        raise ValueError("the activity table is empty: run `qsnn synth activity` (and `qsnn hw activity`) first")
    rows = []
    for keys, group in activity.groupby(list(GROUP_KEYS)):
        for fit in fit_group(group):
            rows.append(
                {
                    **dict(zip(GROUP_KEYS, keys)),
                    "model": fit.model,
                    "formula": "a + b*BB" if fit.model == "bb" else "a + b*BB + c*T",
                    "a": fit.coefficients["a"],
                    "b": fit.coefficients["b"],
                    "c": fit.coefficients.get("c"),
                    "r2": fit.r2,
                    "n_points": fit.n_points,
                    "bit_budgets": ";".join(str(int(v)) for v in sorted(group["bit_budget"].unique())),
                    "source": "fit of simulated toggles (not energy)",
                }
            )
    return pd.DataFrame(rows)
