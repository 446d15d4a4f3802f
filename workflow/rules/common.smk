# Config validation and the experiment plan, before any job runs.
import json
from pathlib import Path

from qsnn.experiments import (
    ConfigError,
    dataset_kind,
    plan_from_config,
    resolve_extends,
)
from qsnn import forkserver
from qsnn.search import search_runs, search_targets

# The workflow's own files (config/, figure scripts, templates, board data) are found from the
# Snakefile's folder, so `snakemake --directory OUT` works; results/ and data_root are relative to
# the working directory.
WORKFLOW_DIR = Path(workflow.basedir)

try:
    # `extends: paper.yaml` in a config file (relative to that file's folder): the base first, this
    # file over it; selections (tables, figures, extensions, outputs) are replaced whole.
    _config_dir = (
        Path(workflow.overwrite_configfiles[-1]).parent
        if workflow.overwrite_configfiles
        else WORKFLOW_DIR / "config"
    )
    _resolved = resolve_extends(config, _config_dir)
    config.clear()
    config.update(_resolved)
    # JSON Schema (workflow/schemas/config.schema.yaml) first, then W/S/T ranges, registered
    # datasets and architectures, duplicate runs; errors name the key and the fix.
    PLAN = plan_from_config(config)
except ConfigError as err:
    raise WorkflowError(f"config error (nothing was run):\n{err}") from None

PROFILE = config["profile"]
# The transcribed paper tables: the config's paper_dir, or else those shipped with qsnn.
PAPER_DIR = str(PLAN.config.paper_dir)
SETTINGS = PLAN.config.settings
FAKE = PLAN.config.fake  # rehearsal only: {samples, seed} of `qsnn data fake`
OUTPUTS = PLAN.config.outputs
TABLES = [1, 2, 3, 4, 5]
FIGURES = [1, 2, 3, 4, 5, 6]
# The resolved config travels to `qsnn report plan` as JSON, so --config overrides count too.
CONFIG_JSON = json.dumps(config, sort_keys=True)
# Rehearsal fakes live beside the prepared data, never in data/ of a real run.
FAKE_DIR = f"{config['data_root']}/fakes"
# The software of every rule: the project's own environment (qsnn + snakemake + tools).
CONDA_ENV = "../../environment.yml"
# Every run any round of any allocation search may train (qsnn/search.py), by run id.
SEARCH_RUNS = {run.run_id: run for run in search_runs(PLAN.config)}


# Jobs of this workflow that run `qsnn` on this machine start from a process that has already
# imported torch and qsnn (qsnn/forkserver.py): a tiny training run no longer spends a third of
# its time importing. Jobs elsewhere (SLURM) and QSNN_FORKSERVER=off run as plain processes.
FORK_SERVER = []


onstart:
    FORK_SERVER.append(forkserver.start(Path("results/logs/forkserver.log")))


onsuccess:
    for server in filter(None, FORK_SERVER):
        server.stop()


onerror:
    for server in filter(None, FORK_SERVER):
        server.stop()


wildcard_constraints:
    run_id=r"[a-z0-9-]+__[a-z0-9-]+__w\d+s\d+t\d+__e\d+__s\d+__[0-9a-f]{8}",
    dataset=r"[a-z0-9-]+",
    selection=r"table[1-5]|fig[1-6]",


def run_metrics(table=None, figure=None):
    """metrics.json of every run the plan trains (or of those one table or figure needs)."""
    return expand(
        "results/runs/{run_id}/metrics.json",
        run_id=PLAN.run_ids(table=table, figure=figure),
    )


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
    # A search's runs (workflow/rules/search.smk) are ordinary runs outside the tables' plan.
    return SEARCH_RUNS.get(wildcards.run_id) or PLAN.run(wildcards.run_id)


def search_round_file(name, round_no):
    """Round `round_no`'s record of search `name`; defers the caller until that checkpoint has run."""
    return checkpoints.search_round.get(name=name, round=str(round_no)).output[0]


def train_args(wildcards):
    """Every setting of the run, spelled out, so the command in the log reproduces it alone."""
    run = run_of(wildcards)
    args = [
        f"--dataset {run.dataset}",
        f"--arch {run.arch}",
        f"--wst {run.wst}",
        f"--epochs {run.epochs}",
        f"--seed {run.seed}",
        f"--batch-size {run.settings.batch_size}",
        f"--lr {run.settings.lr!r}",
        f"--data-root {config['data_root']}",
    ]
    if run.settings.limit_batches is not None:
        args.append(f"--limit-batches {run.settings.limit_batches}")
    if config.get(
        "resume"
    ):  # a forced rerun re-measures the checkpoint instead of retraining
        args.append("--resume")
    return " ".join(args)


def num_workers(wildcards, resources):
    """DataLoader workers from the profile's `num_workers` resource (0 when a profile sets none)."""
    return getattr(resources, "num_workers", 0)


def prepare_inputs(wildcards):
    """The rehearsal prepares from the fakes it wrote; other profiles download (or take archive_dir)."""
    return [f"{FAKE_DIR}/{wildcards.dataset}.written"] if FAKE is not None else []


def prepare_args(wildcards):
    if FAKE is not None:
        if (
            wildcards.dataset == "imagenet"
        ):  # no archive: the fake folders are written in place
            return ""
        return f"--archive-dir {FAKE_DIR}/{wildcards.dataset} --skip-checksum"
    data = config.get("data") or {}
    args = f"--archive-dir {data['archive_dir']}" if data.get("archive_dir") else ""
    return args + (" --skip-checksum" if data.get("skip_checksum") else "")


def fake_out(wildcards):
    """Where `qsnn data fake` writes: the archive folder, or ImageNet's folders in place."""
    if wildcards.dataset == "imagenet":
        return f"{config['data_root']}/imagenet"
    return f"{FAKE_DIR}/{wildcards.dataset}"


def activity_args(wildcards):
    activity = (config.get("hardware") or {}).get("activity") or {}
    args = f"--data-root {config['data_root']}"
    if "w_bits" in activity:
        args += " --w-bits " + ",".join(str(w) for w in activity["w_bits"])
    if "st" in activity:
        args += " --st " + ",".join(activity["st"])
    return args


HARDWARE_OUTPUTS = {
    "synthesis": ["results/hardware/synthesis.csv"],
    "activity": ["results/hardware/activity.csv", "results/hardware/activity_fits.csv"],
    "activity_rtl": ["results/hardware/activity_rtl.csv"],
    "accelerator": ["results/hardware/accelerator.csv"],
    "validation": ["results/hardware/accel_validation.csv"],
    "traces": ["results/hardware/fig2_traces.csv"],
}


# The benchmark file each hardware output's rules write (`benchmark:` in hardware.smk).
HARDWARE_BENCHMARKS = {
    "synthesis": ["synth_sweep"],
    "activity": ["synth_sweep", "hw_activity_rtl", "synth_activity"],
    "activity_rtl": ["hw_activity_rtl"],
    "accelerator": [],
    "validation": ["synth_validate"],
    "traces": ["hw_traces"],
}


def timing_inputs(wildcards):
    """Every planned run's metrics.json (its wall_time_s: no benchmark file, so results trained by
    an older version never rerun for lack of one) and the selected hardware rules' benchmark files.
    """
    hardware = sorted(
        {rule for name in OUTPUTS["hardware"] for rule in HARDWARE_BENCHMARKS[name]}
    )
    searches = (
        [f"results/search/{s.name}.csv" for s in PLAN.config.searches]
        if OUTPUTS.get("search", True)
        else []
    )
    return (
        run_metrics()
        + [f"results/benchmarks/{rule}.tsv" for rule in hardware]
        + searches
    )


def default_targets():
    """What a plain `snakemake` builds: every output, or the config's `outputs:` selection."""
    tables = OUTPUTS["tables"]
    figures = OUTPUTS["figures"]
    targets = [t for n in tables for t in [f"results/tables/table{n}.tex"]]
    targets += [
        f"results/figures/fig{n}.{ext}" for n in figures for ext in ("pdf", "png")
    ]
    targets += [path for name in OUTPUTS["hardware"] for path in HARDWARE_OUTPUTS[name]]
    if OUTPUTS["report"]:
        targets += [
            "results/summary/experiments.csv",
            "results/costs/paper_costs.csv",
            "results/report/reproduction.md",
            "results/report/timing.csv",
            "results/paper.tex",
        ]
    if OUTPUTS.get("search", True):
        targets += search_targets(PLAN.config)
    # Every planned run is trained: `tables:` says what to train, `outputs:` what to render.
    return run_metrics() + targets


def activity_checkpoint(wildcards):
    """Real weights and spikes for the activity measurement: Table 4's trained W=8 CIFAR10 model
    (its stand-in in the quick profile); `qsnn hw activity` feeds it samples of its own dataset.
    """
    ids = sorted(
        e.run.run_id
        for e in PLAN.entries
        if e.table == 4 and e.run and e.paper_dataset == "cifar10"
    )
    ids = ids or [r.run_id for r in PLAN.runs if dataset_kind(r.dataset) == "static"]
    return f"results/runs/{ids[0]}/metrics.json"


def summary_inputs(wildcards):
    """Plan, full-scale costs, the runs the selection needs, and Table 4's hardware model."""
    selection = getattr(wildcards, "selection", "all")
    inputs = {"plan": "results/summary/plan.json", "runs": selection_runs(selection)}
    if selection_has_rows(
        selection
    ):  # Figs. 1-3 plot no table rows: no cost tracing for them
        inputs["costs"] = "results/costs/plan_costs.csv"
    if selection in ("all", "table4"):
        inputs["accelerator"] = "results/hardware/accelerator.csv"
    return inputs


# The hardware CSVs each figure draws; figures not listed read none.
FIGURE_HARDWARE = {
    "2": ["results/hardware/fig2_traces.csv"],
    "3": [
        "results/hardware/activity.csv",
        "results/hardware/activity_fits.csv",
        "results/hardware/synthesis.csv",
    ],
}


def figure_inputs(wildcards):
    inputs = {
        "script": f"{WORKFLOW_DIR}/figures/fig{wildcards.n}.py",
        "experiments": f"results/summary/subsets/fig{wildcards.n}.csv",
        "hardware": FIGURE_HARDWARE.get(wildcards.n, []),
    }
    if (
        wildcards.n == "6"
    ):  # Fig. 6 reads per-layer firing rates from the runs' metrics.json
        inputs["runs"] = run_metrics(figure="fig6")
    return inputs
