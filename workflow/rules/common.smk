# Config validation and the experiment plan, before any job runs.
import json
from pathlib import Path

from qsnn.experiments import ConfigError, Run, dataset_kind, plan_from_config

try:
    # JSON Schema (workflow/schemas/config.schema.yaml) first, then W/S/T ranges, registered
    # datasets and architectures, duplicate runs; errors name the key and the fix.
    PLAN = plan_from_config(config)
except ConfigError as err:
    raise WorkflowError(f"config error (nothing was run):\n{err}") from None

PROFILE = config["profile"]
TABLES = [1, 2, 3, 4, 5]
FIGURES = [1, 2, 3, 4, 5, 6]
# The resolved config travels to `qsnn report plan` as JSON, so --config overrides count too.
CONFIG_JSON = json.dumps(config, sort_keys=True)
# The software of every rule: the project's own environment (qsnn + snakemake + tools).
CONDA_ENV = "../../environment.yml"
HARDWARE_CSVS = [
    "results/hardware/synthesis.csv",
    "results/hardware/activity.csv",
    "results/hardware/activity_fits.csv",
    "results/hardware/accelerator.csv",
    "results/hardware/accel_validation.csv",
    "results/hardware/fig2_traces.csv",
]


wildcard_constraints:
    run_id=r"[a-z0-9-]+__[a-z0-9-]+__w\d+s\d+t\d+__e\d+__s\d+",
    dataset=r"[a-z0-9-]+",
    selection=r"table[1-5]|fig[1-6]",


def run_metrics(table=None, figure=None):
    """metrics.json of every run the plan trains (or of those one table or figure needs)."""
    return expand("results/runs/{run_id}/metrics.json", run_id=PLAN.run_ids(table=table, figure=figure))


def selection_runs(sel):
    """Runs needed by one selection of the summary (a table, a figure, or all)."""
    if sel == "all":
        return run_metrics()
    if sel.startswith("table"):
        return run_metrics(table=int(sel[5:]))
    return run_metrics(figure=sel)


def selection_has_rows(sel):
    if sel == "all":
        return True
    if sel.startswith("table"):
        return any(e.table == int(sel[5:]) for e in PLAN.entries)
    return any(sel in e.figures for e in PLAN.entries)


def costs_arg(wildcards, input):
    return f"--costs {input.costs}" if "costs" in input.keys() else ""


def run_of(wildcards):
    return Run.from_id(wildcards.run_id)


def train_args(wildcards):
    run = run_of(wildcards)
    args = [
        f"--dataset {run.dataset}",
        f"--arch {run.arch}",
        f"--wst {run.wst}",
        f"--epochs {run.epochs}",
        f"--seed {run.seed}",
        f"--data-root {config['data_root']}",
    ]
    train = config.get("train") or {}
    if "batch_size" in train:
        args.append(f"--batch-size {train['batch_size']}")
    if "lr" in train:
        args.append(f"--lr {train['lr']}")
    return " ".join(args)


def activity_checkpoint(wildcards):
    """Real weights and spikes for the activity measurement: Table 4's trained W=8 CIFAR10 model
    (its stand-in in the quick profile); `qsnn hw activity` feeds it static images."""
    ids = sorted(e.run.run_id for e in PLAN.entries if e.table == 4 and e.run and e.paper_dataset == "cifar10")
    ids = ids or [r.run_id for r in PLAN.runs if dataset_kind(r.dataset) == "static"]
    return f"results/runs/{ids[0]}/metrics.json"


def summary_inputs(wildcards):
    """Plan, full-scale costs, the runs the selection needs, and Table 4's hardware model."""
    selection = getattr(wildcards, "selection", "all")
    inputs = {"plan": "results/summary/plan.json", "runs": selection_runs(selection)}
    if selection_has_rows(selection):  # Figs. 1-3 plot no table rows: no cost tracing for them
        inputs["costs"] = "results/costs/plan_costs.csv"
    if selection in ("all", "table4"):
        inputs["accelerator"] = "results/hardware/accelerator.csv"
    return inputs


def figure_outputs(n):
    return {
        "pdf": report(f"results/figures/fig{n}.pdf", caption=f"../report/fig{n}.rst", category="Figures"),
        "png": f"results/figures/fig{n}.png",
    }
