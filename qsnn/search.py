"""Allocation search (issue 13): how should a bit budget B = W*S*T be split between weight bits W,
spike bits S and time steps T?

A ``search:`` block of the workflow config (schema: ``workflow/schemas/config.schema.yaml``) names
one or more searches::

    search:
      allocation:                        # -> results/search/allocation.csv
        dataset: [digits, digits-dvs]    # one dataset or a list
        arch: spikformer-tiny
        budgets: [4, 8, 16]
        mode: exact                      # W*S*T == B; `within`: W*S*T <= B
        bounds: {w_bits: [1, 2], s_bits: {max: 8}, T: {min: 1, max: 8}}   # a list, or min/max
        strategy: {name: grid}           # or {name: halving, rounds: [4, 20], keep: 0.5}

Every allocation becomes an ordinary run of the workflow (:class:`qsnn.experiments.Run`, through
:func:`qsnn.experiments.make_run`): the same rule ``train``, the same run id, so an allocation a
table also trains is trained once. Datasets and architectures map to stand-ins exactly as the
tables' do; in the quick profile a search may also name the stand-ins themselves (``digits``,
``spikformer-tiny``), which are then trained as named.

Strategies:

* ``grid``: every allocation, ``epochs`` epochs (default: the config's epochs for the dataset).
* ``halving`` (successive halving): every allocation is trained for ``rounds[0]`` epochs; of each
  budget (per dataset) the best ``ceil(keep * n)`` (at least one) go on to ``rounds[1]`` epochs,
  and so on; the last round's runs decide. Each round trains **from scratch** for its own epochs.
  A round's run is then an ordinary run whose id says its epochs, never a continuation: the last
  round's runs are the very runs a grid or a table at those epochs trains (same id, shared), and
  the halving's winner has exactly the accuracy the grid would report for it. Continuing from the
  previous round's checkpoint would save only the earlier rounds' epochs of each survivor (a few
  seconds of each quick run, whose cost is mostly process start-up), at the price of runs that
  exist nowhere else and a learning-rate schedule restarted mid-training.

Ranking (a round's survivors, the best allocation of a budget): higher top-1 first; an allocation
that reached a later round ranks above one eliminated earlier (it beat it there); ties go to the
lower S-ACE, then the smaller W, S, T. The Pareto fronts (accuracy against S-ACE and against NS-ACE)
are drawn among the allocations that reached the last round, whose accuracies are of equal training.

Costs: when the search names a paper dataset and a full-scale architecture, Params and S-ACE are
full-scale (as the tables compute them, :func:`qsnn.metrics.paper.arch_costs`), and NS-ACE is
measured (paper profile) or estimated from the stand-in's firing rates (quick profile), as
``experiments.csv`` does (:func:`qsnn.report.summarize.ns_ace`). When it names a stand-in and a tiny
architecture, every cost is that of the trained model and NS-ACE is measured on it.

``results/search/{name}.csv`` has one owner, this module: :data:`COLUMNS`, :func:`read_search`,
:func:`write_search`. Errors in a search block are :class:`qsnn.experiments.ConfigError` naming the
key, raised while the config loads (before any job runs).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Mapping

import pandas as pd

from qsnn.experiments import ConfigError, ExperimentConfig, Run, check_arch, check_dataset, epochs_for, make_run
from qsnn.profiles import check_profile, profile_notice
from qsnn.summary import as_number  # the one parser of optional numbers
from qsnn.wst import S_RANGE, T_RANGE, W_RANGE, WST

DEFAULT_KEEP = 0.5
# More allocations than this is a typo in the bounds (a `within` search of B = 4096 with default
# bounds has ~46 000), not a search anyone means to train: say so before the DAG has 46 000 jobs.
MAX_ALLOCATIONS = 1000
BOUND_LIMITS = {"w_bits": W_RANGE, "s_bits": S_RANGE, "T": T_RANGE}
BOUND_NAMES = {"w_bits": "W", "s_bits": "S", "T": "T"}
SCALE_FULL = "full scale"
SCALE_TRAINED = "trained model"

# ---------------------------------------------------------------------------------- the CSV contract

COLUMNS = (
    "search",
    "profile",
    "dataset",
    "trained_dataset",
    "data_kind",
    "arch",
    "trained_arch",
    "mode",
    "strategy",
    "w_bits",
    "s_bits",
    "T",
    "bit_budget",
    "budgets",
    "round",
    "epochs",
    "status",
    "run_id",
    "shared_run",
    "top1",
    "params_M",
    "s_ace_G",
    "ns_ace_G",
    "ns_ace_kind",
    "cost_scale",
    "firing_rate",
    "train_seconds",
    "pareto_s_ace",
    "pareto_ns_ace",
    "best_for",
    "paper_rows",
    "paper_acc",
)
TEXT_COLUMNS = (
    "search",
    "profile",
    "dataset",
    "trained_dataset",
    "data_kind",
    "arch",
    "trained_arch",
    "mode",
    "strategy",
    "budgets",
    "status",
    "run_id",
    "ns_ace_kind",
    "cost_scale",
    "best_for",
    "paper_rows",
)
INTEGER_COLUMNS = ("w_bits", "s_bits", "T", "bit_budget", "round", "epochs")
BOOL_COLUMNS = ("shared_run", "pareto_s_ace", "pareto_ns_ace")
STATUS_FINAL, STATUS_ELIMINATED, STATUS_MISSING = "final", "eliminated", "missing"


class SearchFileError(ValueError):
    """A search CSV that is missing, incomplete or of another profile; the message says the fix."""


# ---------------------------------------------------------------------------------- configuration


@dataclass(frozen=True)
class Bound:
    """Allowed values of W, S or T: ``min..max``, or an explicit list."""

    min: int
    max: int
    values: tuple[int, ...] | None = None

    def candidates(self) -> tuple[int, ...]:
        return self.values if self.values is not None else tuple(range(self.min, self.max + 1))

    def allows(self, value: int) -> bool:
        return self.min <= value <= self.max and (self.values is None or value in self.values)

    def describe(self) -> str:
        return ",".join(map(str, self.values)) if self.values is not None else f"{self.min}..{self.max}"


@dataclass(frozen=True)
class Strategy:
    name: str  # "grid" | "halving"
    rounds: tuple[int, ...] | None = None  # epochs of each round; None: one round at the config's epochs
    keep: float = 1.0  # fraction of each budget kept after a round (halving)

    def describe(self) -> str:
        if self.name == "grid":
            return "grid" + (f", {self.rounds[0]} epochs" if self.rounds else "")
        return f"halving, rounds of {'/'.join(map(str, self.rounds))} epochs, keep {self.keep:g}"


@dataclass(frozen=True)
class SearchSpec:
    """One validated search block."""

    name: str
    datasets: tuple[str, ...]
    arch: str
    budgets: tuple[int, ...]
    mode: str
    bounds: Mapping[str, Bound]
    strategy: Strategy

    @property
    def key(self) -> str:
        return f"search.{self.name}"

    def round_epochs(self, cfg: ExperimentConfig, dataset: str) -> tuple[int, ...]:
        return self.strategy.rounds or (epochs_for(cfg, dataset),)


@dataclass(frozen=True)
class Allocation:
    """One W/S/T of a search on one of its datasets, and the configured budgets it counts for."""

    dataset: str
    wst: WST
    budgets: tuple[int, ...]

    @property
    def key(self) -> tuple[str, str]:
        return (self.dataset, str(self.wst))


def parse_searches(raw: Mapping | None, cfg: ExperimentConfig) -> tuple[SearchSpec, ...]:
    """The ``search:`` block (already schema-checked) as typed specs; every budget must admit an allocation."""
    specs = tuple(_parse_search(str(name), body or {}, cfg) for name, body in (raw or {}).items())
    for spec in specs:
        check_budgets(spec)
        count = len(allocations(spec))
        if count > MAX_ALLOCATIONS:
            raise ConfigError(
                f"{spec.key}.bounds: {count} allocations (more than {MAX_ALLOCATIONS}); narrow the "
                "bounds or the budgets (`qsnn search --dry-run` lists them)"
            )
    return specs


def _parse_search(name: str, body: Mapping, cfg: ExperimentConfig) -> SearchSpec:
    key = f"search.{name}"
    datasets = (body["dataset"],) if isinstance(body["dataset"], str) else tuple(body["dataset"])
    for i, dataset in enumerate(datasets):
        check_dataset(f"{key}.dataset" + ("" if isinstance(body["dataset"], str) else f"[{i}]"), dataset)
    check_arch(f"{key}.arch", body["arch"])
    _check_scale(key, cfg, datasets, body["arch"])
    bounds = body.get("bounds") or {}
    return SearchSpec(
        name=name,
        datasets=datasets,
        arch=body["arch"],
        budgets=tuple(_integer(f"{key}.budgets[{i}]", b) for i, b in enumerate(body["budgets"])),
        mode=body.get("mode", "exact"),
        bounds={k: _parse_bound(f"{key}.bounds.{k}", bounds.get(k), *BOUND_LIMITS[k]) for k in BOUND_LIMITS},
        strategy=_parse_strategy(f"{key}.strategy", body.get("strategy") or {"name": "grid"}),
    )


def _integer(key: str, value) -> int:
    # JSON Schema calls 2.0 an integer; a W/S/T or a budget must be written as one.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key}: {value!r} is not an integer; write it without a decimal point")
    return value


def _parse_bound(key: str, value, lo: int, hi: int) -> Bound:
    if value is None:
        return Bound(lo, hi)
    if isinstance(value, list):
        values = tuple(sorted(_integer(f"{key}[{i}]", v) for i, v in enumerate(value)))
        outside = [v for v in values if not lo <= v <= hi]
        if outside:
            raise ConfigError(f"{key}: {outside[0]} is outside {lo}..{hi}; list values in that range")
        return Bound(values[0], values[-1], values)
    low, high = _integer(f"{key}.min", value.get("min", lo)), _integer(f"{key}.max", value.get("max", hi))
    if not lo <= low <= high <= hi:
        raise ConfigError(f"{key}: min {low} and max {high} must satisfy {lo} <= min <= max <= {hi}")
    return Bound(low, high)


def _parse_strategy(key: str, raw: Mapping) -> Strategy:
    name = raw["name"]
    if name == "grid":
        extra = [k for k in ("rounds", "keep") if k in raw]
        if extra:
            raise ConfigError(f"{key}.{extra[0]}: only halving has rounds and keep; remove it, or set name: halving")
        return Strategy("grid", (raw["epochs"],) if "epochs" in raw else None)
    if "epochs" in raw:
        raise ConfigError(f"{key}.epochs: halving takes the epochs of each round from rounds; remove epochs")
    if "rounds" not in raw:
        raise ConfigError(f"{key}.rounds: halving needs the epochs of each round, e.g. rounds: [4, 20]")
    rounds = tuple(_integer(f"{key}.rounds[{i}]", r) for i, r in enumerate(raw["rounds"]))
    if any(b <= a for a, b in zip(rounds, rounds[1:])):
        raise ConfigError(
            f"{key}.rounds: {list(rounds)} must increase strictly (each round trains longer than the last)"
        )
    return Strategy("halving", rounds, float(raw.get("keep", DEFAULT_KEEP)))


def _check_scale(key: str, cfg: ExperimentConfig, datasets: tuple[str, ...], arch: str) -> None:
    """Stand-in names belong to the quick profile, and pair with each other: a paper dataset with a
    full-scale architecture (mapped to stand-ins like the tables' rows), or a stand-in with a tiny one."""
    from qsnn.models import arch_spec

    tiny = arch_spec(arch).tiny
    rule = f"a {cfg.profile} profile search names paper datasets and full-scale architectures"
    if tiny and not cfg.is_quick:
        raise ConfigError(f"{key}.arch: architecture {arch!r} is a quick-profile stand-in; {rule}")
    for i, dataset in enumerate(datasets):
        stand_in = is_stand_in(dataset)
        if stand_in and not cfg.is_quick:
            where = f"{key}.dataset" + (f"[{i}]" if len(datasets) > 1 else "")
            raise ConfigError(f"{where}: dataset {dataset!r} is a quick-profile stand-in; {rule}")
        if stand_in != tiny:
            fix = (
                "a tiny architecture (e.g. spikformer-tiny)"
                if stand_in
                else "a full-scale architecture (e.g. spikformer-4-384)"
            )
            raise ConfigError(
                f"{key}.arch: {arch!r} does not pair with dataset {dataset!r}; name {fix}, so the "
                "costs are of one model"
            )


def is_stand_in(dataset: str) -> bool:
    from qsnn.data import dataset_info

    return dataset_info(dataset).stand_in is not None


# ---------------------------------------------------------------------------------- expansion


def budget_wsts(spec: SearchSpec, budget: int, bounds: Mapping[str, Bound] | None = None) -> list[WST]:
    """Every W/S/T within ``bounds`` (default: the spec's) that counts for ``budget``."""
    bounds = bounds or spec.bounds
    out = []
    for w in bounds["w_bits"].candidates():
        for s in bounds["s_bits"].candidates():
            limit = budget // (w * s)  # the most time steps W*S leaves in the budget
            if spec.mode == "exact":
                ts = [limit] if limit and w * s * limit == budget else []
            else:
                ts = range(1, limit + 1)
            out += [WST(w, s, t) for t in ts if bounds["T"].allows(t)]
    return sorted(out, key=lambda x: (x.w_bits, x.s_bits, x.T))


def check_budgets(spec: SearchSpec) -> None:
    """A budget with no allocation cannot have a best one: name the budget, or the bounds that empty it."""
    unbounded = {k: Bound(*BOUND_LIMITS[k]) for k in BOUND_LIMITS}
    relation = "=" if spec.mode == "exact" else "<="
    for i, budget in enumerate(spec.budgets):
        if budget_wsts(spec, budget):
            continue
        if not budget_wsts(spec, budget, unbounded):
            raise ConfigError(
                f"{spec.key}.budgets[{i}]: budget {budget} admits no allocation W*S*T {relation} {budget} "
                f"(W, S in 1..16, T in 1..4096); choose another budget"
            )
        bounds = ", ".join(f"{BOUND_NAMES[k]} {b.describe()}" for k, b in spec.bounds.items())
        raise ConfigError(
            f"{spec.key}.bounds: {bounds} exclude every allocation W*S*T {relation} {budget} "
            f"(budgets[{i}]); widen the bounds or drop the budget"
        )


def allocations(spec: SearchSpec) -> list[Allocation]:
    """Every (dataset, W/S/T) of the search, with the configured budgets each counts for."""
    budgets: dict[WST, list[int]] = {}
    for budget in spec.budgets:
        for wst in budget_wsts(spec, budget):
            budgets.setdefault(wst, []).append(budget)
    order = sorted(budgets, key=lambda x: (x.bit_budget, x.w_bits, x.s_bits, x.T))
    return [Allocation(dataset, wst, tuple(budgets[wst])) for dataset in spec.datasets for wst in order]


def allocation_run(cfg: ExperimentConfig, spec: SearchSpec, dataset: str, wst: WST, epochs: int) -> Run:
    """The ordinary run of one allocation: stand-in names (quick profile) are trained as named;
    paper names map to stand-ins and tiny siblings exactly as the tables' rows do (make_run)."""
    if is_stand_in(dataset):
        return Run(dataset, spec.arch, wst, epochs, cfg.seed, cfg.settings)
    return make_run(cfg, dataset, spec.arch, wst, epochs)


def search_runs(cfg: ExperimentConfig) -> list[Run]:
    """Every run any round of any search may train (the workflow's rule ``train`` looks them up)."""
    runs = {}
    for spec in cfg.searches:
        for alloc in allocations(spec):
            for epochs in spec.round_epochs(cfg, alloc.dataset):
                run = allocation_run(cfg, spec, alloc.dataset, alloc.wst, epochs)
                runs.setdefault(run.run_id, run)
    return [runs[k] for k in sorted(runs)]


def find_search(cfg: ExperimentConfig, name: str) -> SearchSpec:
    for spec in cfg.searches:
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in cfg.searches) or "none (the config has no search: block)"
    raise ConfigError(f"search {name!r} is not configured; configured searches: {known}")


# ---------------------------------------------------------------------------------- costs


def allocation_costs(spec: SearchSpec, dataset: str, wst: WST, cache=None) -> dict:
    """``params_M`` (paper units), ``s_ace_G`` and the scale of one allocation's costs: the search's
    architecture on its dataset, which is full scale for paper names (as the tables) and the
    trained model itself for stand-in names (the two are never mixed, see _check_scale)."""
    from qsnn.data import dataset_info
    from qsnn.metrics.paper import TraceCache, arch_costs

    info = dataset_info(dataset)
    totals = arch_costs(
        spec.arch, wst, cache or TraceCache(), input_shape=tuple(info.input_shape), num_classes=info.num_classes
    )
    return {
        "params_M": totals["params_M_paper_units"],
        "s_ace_G": totals["s_ace"] / 1e9,
        "cost_scale": SCALE_TRAINED if is_stand_in(dataset) else SCALE_FULL,
    }


def dry_run(cfg: ExperimentConfig, spec: SearchSpec) -> pd.DataFrame:
    """The allocations a search expands to, with their S-ACE and the runs of its first round, before any training."""
    from qsnn.experiments import expand
    from qsnn.metrics.paper import TraceCache

    planned = {run.run_id for run in expand(cfg).runs}
    cache, rows = TraceCache(), []
    for alloc in allocations(spec):
        run = allocation_run(cfg, spec, alloc.dataset, alloc.wst, spec.round_epochs(cfg, alloc.dataset)[0])
        costs = allocation_costs(spec, alloc.dataset, alloc.wst, cache)
        rows.append(
            {
                "search": spec.name,
                "dataset": alloc.dataset,
                "trained_dataset": run.dataset,
                "arch": spec.arch,
                "trained_arch": run.arch,
                "wst": str(alloc.wst),
                "bit_budget": alloc.wst.bit_budget,
                "budgets": _join(alloc.budgets),
                "s_ace_G": costs["s_ace_G"],
                "cost_scale": costs["cost_scale"],
                "first_run": run.run_id,
                "shared_run": run.run_id in planned,
            }
        )
    return pd.DataFrame(rows)


def max_runs(spec: SearchSpec) -> list[int]:
    """The most runs each round can train (survivors of overlapping `within` budgets are counted once)."""
    groups = [
        [a for a in allocations(spec) if a.dataset == d and b in a.budgets] for d in spec.datasets for b in spec.budgets
    ]
    counts = [len(allocations(spec))]
    for _ in (spec.strategy.rounds or ())[1:]:
        groups = [g[: max(1, math.ceil(spec.strategy.keep * len(g)))] for g in groups]
        counts.append(min(counts[-1], sum(len(g) for g in groups)))
    return counts


# ---------------------------------------------------------------------------------- halving rounds


def rank_key(rec: Mapping) -> tuple:
    """Best first: later round, higher top-1, lower S-ACE, smaller W, S, T (a deterministic order)."""
    top1 = rec.get("top1")
    top1 = -math.inf if top1 is None or pd.isna(top1) else float(top1)
    s_ace = rec.get("s_ace_G")
    s_ace = math.inf if s_ace is None or pd.isna(s_ace) else float(s_ace)
    return (-int(rec.get("round", 1)), -top1, s_ace, int(rec["w_bits"]), int(rec["s_bits"]), int(rec["T"]))


def select_survivors(records: list[dict], budgets: Iterable[int], keep: float, mode: str) -> set[tuple[str, str]]:
    """Keys ``(dataset, "W/S/T")`` kept after a round: per dataset and budget, the best ``ceil(keep * n)``
    (at least one) of the allocations that count for it. Records: dataset, w_bits, s_bits, T, top1, s_ace_G."""
    kept: set[tuple[str, str]] = set()
    for dataset in sorted({r["dataset"] for r in records}):
        for budget in budgets:
            group = [r for r in records if r["dataset"] == dataset and _counts(r, budget, mode)]
            if not group:
                continue
            best = sorted(group, key=rank_key)[: max(1, math.ceil(keep * len(group)))]
            kept |= {(r["dataset"], f"{r['w_bits']}/{r['s_bits']}/{r['T']}") for r in best}
    return kept


def _counts(rec: Mapping, budget: int, mode: str) -> bool:
    product = int(rec["w_bits"]) * int(rec["s_bits"]) * int(rec["T"])
    return product == budget if mode == "exact" else product <= budget


def alive(spec: SearchSpec, previous: Mapping | None) -> list[Allocation]:
    """The allocations a round trains: all of them in round 1, else the previous round's survivors."""
    every = allocations(spec)
    if previous is None:
        return every
    kept = {(e["dataset"], e["wst"]) for e in previous["next"]}
    return [a for a in every if a.key in kept]


def round_run_ids(cfg: ExperimentConfig, spec: SearchSpec, round_no: int, previous: Mapping | None) -> list[str]:
    return [
        allocation_run(cfg, spec, a.dataset, a.wst, spec.round_epochs(cfg, a.dataset)[round_no - 1]).run_id
        for a in alive(spec, previous)
    ]


def select_round(
    cfg: ExperimentConfig, spec: SearchSpec, round_no: int, previous: Mapping | None, runs_dir: Path
) -> dict:
    """The record of one halving round: every allocation it trained, ranked, and the runs of the next round."""
    if spec.strategy.name != "halving":
        raise ConfigError(f"{spec.key}: a {spec.strategy.name} search has no rounds to select from")
    if not 1 <= round_no < len(spec.strategy.rounds):
        raise ConfigError(
            f"{spec.key}: round {round_no} selects nothing; this search selects after rounds "
            f"1..{len(spec.strategy.rounds) - 1}"
        )
    records = []
    for alloc in alive(spec, previous):
        run = allocation_run(cfg, spec, alloc.dataset, alloc.wst, spec.strategy.rounds[round_no - 1])
        metrics = read_run_metrics(runs_dir, run.run_id, required=True)
        records.append(
            {
                "dataset": alloc.dataset,
                "wst": str(alloc.wst),
                "w_bits": alloc.wst.w_bits,
                "s_bits": alloc.wst.s_bits,
                "T": alloc.wst.T,
                "run_id": run.run_id,
                "top1": metrics["top1"],
                "s_ace_G": metrics["s_ace"] / 1e9,
            }
        )
    kept = select_survivors(records, spec.budgets, spec.strategy.keep, spec.mode)
    for rec in records:
        rec["kept"] = (rec["dataset"], rec["wst"]) in kept
    epochs = spec.strategy.rounds[round_no]
    following = [
        {
            "dataset": r["dataset"],
            "wst": r["wst"],
            "run_id": allocation_run(cfg, spec, r["dataset"], WST(r["w_bits"], r["s_bits"], r["T"]), epochs).run_id,
        }
        for r in records
        if r["kept"]
    ]
    return {
        "search": spec.name,
        "profile": cfg.profile,
        "round": round_no,
        "epochs": spec.strategy.rounds[round_no - 1],
        "keep": spec.strategy.keep,
        "ranked": sorted(records, key=rank_key),
        "next": following,
    }


def read_round(path: Path) -> dict:
    try:
        with open(path) as fh:
            record = json.load(fh)
    except (OSError, json.JSONDecodeError) as err:
        raise SearchFileError(f"{path}: not a readable round record ({err}); rerun its `qsnn search select`") from None
    if "next" not in record:
        raise SearchFileError(f"{path}: not a round record of `qsnn search select` (no 'next'); rerun it")
    return record


def write_round(record: dict, path: Path) -> Path:
    from qsnn.io import atomic_write_text

    return atomic_write_text(Path(path), json.dumps(record, indent=1, sort_keys=True) + "\n")


def read_run_metrics(runs_dir: Path, run_id: str, required: bool = False) -> dict | None:
    path = Path(runs_dir) / run_id / "metrics.json"
    if not path.is_file():
        if required:
            raise FileNotFoundError(f"missing {path}; train it first (`snakemake {path}`)")
        return None
    with open(path) as fh:
        return json.load(fh)


# ---------------------------------------------------------------------------------- Snakemake glue


def round_inputs(cfg: ExperimentConfig, name: str, round_no: int, round_file: Callable[[str, int], str]) -> list[str]:
    """metrics.json of the runs of one round; ``round_file(name, r)`` returns round r's record
    (in the workflow: ``checkpoints.search_round.get(...)``, which defers until it exists)."""
    spec = find_search(cfg, name)
    previous = read_round(Path(round_file(name, round_no - 1))) if round_no > 1 else None
    return [f"results/runs/{rid}/metrics.json" for rid in round_run_ids(cfg, spec, round_no, previous)]


def summary_inputs(cfg: ExperimentConfig, name: str, round_file: Callable[[str, int], str]) -> list[str]:
    """Every round record and every run metrics.json a search's CSV reads."""
    spec = find_search(cfg, name)
    paths = round_inputs(cfg, name, 1, round_file)
    for round_no in range(2, len(spec.strategy.rounds or (1,)) + 1):
        paths += [round_file(name, round_no - 1)] + round_inputs(cfg, name, round_no, round_file)
    return sorted(set(paths))


def round_files(cfg: ExperimentConfig, name: str) -> list[str]:
    """The round records of a search, in order (none for a grid): what ``qsnn search summarize --rounds`` reads."""
    spec = find_search(cfg, name)
    return [f"results/search/{name}/round{r}.json" for r in range(1, len(spec.strategy.rounds or (1,)))]


def search_targets(cfg: ExperimentConfig) -> list[str]:
    """What ``snakemake`` builds for the searches: each CSV and table, and Fig. 7 (the first search)."""
    targets = [p for s in cfg.searches for p in (f"results/search/{s.name}.csv", f"results/tables/search-{s.name}.tex")]
    if cfg.searches:
        targets += ["results/figures/fig7.pdf", "results/figures/fig7.png"]
    return targets


def figure_search(cfg: ExperimentConfig) -> str:
    """The search Fig. 7 draws: the first one of the config."""
    if not cfg.searches:
        raise ConfigError(
            "Fig. 7 draws an allocation search; add a search: block to the config (see config/config.yaml)"
        )
    return cfg.searches[0].name


# ---------------------------------------------------------------------------------- the summary


def summarize(cfg: ExperimentConfig, spec: SearchSpec, runs_dir: Path, rounds: list[Mapping]) -> pd.DataFrame:
    """``results/search/{name}.csv``: every allocation at the last round it reached, its costs, the
    Pareto fronts and the best allocation per budget. ``rounds``: the halving round records, in order."""
    from qsnn.experiments import expand
    from qsnn.metrics.paper import TraceCache

    planned = {run.run_id for run in expand(cfg).runs}
    reached = _rounds_reached(spec, rounds)
    papers, cache = paper_rows(cfg, spec), TraceCache()
    rows = [
        _summary_row(cfg, spec, alloc, reached[alloc.key], runs_dir, planned, papers, cache)
        for alloc in allocations(spec)
    ]
    return mark_fronts(pd.DataFrame(rows, columns=COLUMNS), spec.budgets, spec.mode)


def _rounds_reached(spec: SearchSpec, rounds: list[Mapping]) -> dict[tuple[str, str], int]:
    expected = len(spec.strategy.rounds or (1,)) - 1
    if len(rounds) != expected:
        raise SearchFileError(
            f"{spec.key}: {len(rounds)} round record(s) given, the strategy has {expected}; "
            "pass results/search/NAME/round1..json in order"
        )
    reached = {a.key: 1 for a in allocations(spec)}
    for round_no, record in enumerate(rounds, start=1):
        for entry in record["next"]:
            reached[(entry["dataset"], entry["wst"])] = round_no + 1
    return reached


def _summary_row(cfg, spec, alloc, round_no, runs_dir, planned, papers, cache) -> dict:
    from qsnn.data import dataset_info
    from qsnn.report.summarize import ns_ace

    epochs = spec.round_epochs(cfg, alloc.dataset)
    runs = [allocation_run(cfg, spec, alloc.dataset, alloc.wst, e) for e in epochs[:round_no]]
    run, metrics = runs[-1], read_run_metrics(runs_dir, runs[-1].run_id)
    costs = allocation_costs(spec, alloc.dataset, alloc.wst, cache)
    every_round = [read_run_metrics(runs_dir, r.run_id) for r in runs]
    rows = papers.get(alloc.key, [])
    row = {
        "search": spec.name,
        "profile": cfg.profile,
        "dataset": alloc.dataset,
        "trained_dataset": run.dataset,
        "data_kind": dataset_info(run.dataset).kind,
        "arch": spec.arch,
        "trained_arch": run.arch,
        "mode": spec.mode,
        "strategy": spec.strategy.describe(),
        "w_bits": alloc.wst.w_bits,
        "s_bits": alloc.wst.s_bits,
        "T": alloc.wst.T,
        "bit_budget": alloc.wst.bit_budget,
        "budgets": _join(alloc.budgets),
        "round": round_no,
        "epochs": run.epochs,
        "status": STATUS_FINAL if round_no == len(epochs) else STATUS_ELIMINATED,
        "run_id": run.run_id,
        "shared_run": run.run_id in planned,
        **costs,
        "train_seconds": sum(m["wall_time_s"] for m in every_round) if all(every_round) else None,
        "paper_rows": ";".join(r["where"] for r in rows),
        "paper_acc": next((r["acc"] for r in rows if r["acc"] is not None), None),
    }
    if metrics is None:
        return {**row, "status": STATUS_MISSING}
    # Measured when the costed model is the one trained (stand-ins as named, or the paper profile).
    same_model = (run.dataset, run.arch) == (alloc.dataset, spec.arch)
    value, kind = ns_ace(metrics, costs["s_ace_G"], cfg.profile, same_model)
    rates = [f["rate"] for f in metrics.get("firing_rates") or []]
    return {
        **row,
        "top1": metrics["top1"],
        "ns_ace_G": value,
        "ns_ace_kind": kind,
        "firing_rate": sum(rates) / len(rates) if rates else None,
    }


def _join(values: Iterable) -> str:
    return ";".join(str(v) for v in values)


def paper_rows(cfg: ExperimentConfig, spec: SearchSpec) -> dict[tuple[str, str], list[dict]]:
    """The paper's own rows (source 'this paper', Tables 1-5) that are an allocation of this search:
    same W/S/T, and a dataset and architecture that train as the search's do (the quick profile maps
    both to stand-ins, as the tables' rows). ``acc``: the published accuracy, only in the paper
    profile (a stand-in's or a rehearsal's accuracy is not comparable with it)."""
    from qsnn.experiments import read_paper_table, trained_arch, trained_dataset

    wanted = {(a.dataset, str(a.wst)) for a in allocations(spec)}
    configured_arch = {t.number: t.arch for t in cfg.tables}
    found: dict[tuple[str, str], list[dict]] = {}
    for number in (1, 2, 3, 4, 5):
        for rec in read_paper_table(cfg.paper_dir, number).to_dict(orient="records"):
            arch = str(rec.get("arch_id") or "") or configured_arch.get(number) or ""
            if str(rec.get("source", "")) != "this paper" or not arch:
                continue
            wst = f"{int(rec['w_bits'])}/{int(rec['s_bits'])}/{int(rec['T'])}"
            for paper_dataset in [d for d in re.split(r"[;,\s]+", str(rec.get("dataset") or "")) if d]:
                for dataset in spec.datasets:
                    if (dataset, wst) in wanted and _trains_as(
                        cfg, paper_dataset, arch, dataset, spec.arch, trained_dataset, trained_arch
                    ):
                        comparable = cfg.profile == "paper" and dataset == paper_dataset
                        acc = as_number(rec.get("acc_" + paper_dataset.replace("-", "_"))) if comparable else None
                        entry = {"where": f"table{number}:row{int(rec['row'])}", "acc": acc}
                        # Rows covering several paper datasets (CIFAR10 and CIFAR100) map to one stand-in once.
                        if entry not in found.setdefault((dataset, wst), []):
                            found[(dataset, wst)].append(entry)
    return found


def _trains_as(cfg, paper_dataset, paper_arch, dataset, arch, trained_dataset, trained_arch) -> bool:
    """Whether a paper row (dataset, arch) is trained as the search's (dataset, arch) is."""
    if not is_stand_in(dataset):
        return paper_dataset == dataset and paper_arch == arch
    try:
        return trained_dataset(cfg, paper_dataset) == dataset and trained_arch(cfg, paper_arch) == arch
    except ConfigError:  # a paper architecture without a tiny sibling trains as nothing here
        return False


# ---------------------------------------------------------------------------------- fronts, bests, verdicts


def pareto_front(costs: Iterable, accuracies: Iterable) -> list[bool]:
    """Non-dominated points (lower cost, higher accuracy): no other point is at least as cheap and
    as accurate and strictly better in one. Points lacking either number are never on the front."""
    points = [(as_number(c), as_number(a)) for c, a in zip(costs, accuracies)]
    out = []
    for i, (c, a) in enumerate(points):
        if c is None or a is None:
            out.append(False)
            continue
        out.append(
            not any(
                j != i and oc is not None and oa is not None and oc <= c and oa >= a and (oc < c or oa > a)
                for j, (oc, oa) in enumerate(points)
            )
        )
    return out


def mark_fronts(frame: pd.DataFrame, budgets: Iterable[int], mode: str) -> pd.DataFrame:
    """Fill ``pareto_s_ace``, ``pareto_ns_ace`` (per dataset, among final rows) and ``best_for`` (budgets)."""
    frame = frame.copy()
    final = frame["status"] == STATUS_FINAL
    for column, cost in (("pareto_s_ace", "s_ace_G"), ("pareto_ns_ace", "ns_ace_G")):
        frame[column] = False
        for _, group in frame[final].groupby("dataset", sort=False):
            frame.loc[group.index, column] = pareto_front(group[cost], group["top1"])
    best: dict[int, list[str]] = {}
    for dataset, group in frame.groupby("dataset", sort=False):
        for budget in budgets:
            members = [
                r
                for r in group.reset_index().to_dict(orient="records")
                if _counts(r, budget, mode) and as_number(r["top1"]) is not None
            ]
            if members:
                best.setdefault(min(members, key=rank_key)["index"], []).append(str(budget))
    frame["best_for"] = [";".join(best.get(i, [])) for i in frame.index]
    return frame


def best_per_budget(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (dataset, budget): the best allocation, with how many allocations the budget had."""
    rows = []
    for dataset, group in frame.groupby("dataset", sort=False):
        for budget in _budgets_of(group):
            members = group[group["budgets"].map(lambda b: str(budget) in str(b).split(";"))]
            winner = members[members["best_for"].fillna("").map(lambda b: str(budget) in str(b).split(";"))]
            if not winner.empty:
                rows.append({**winner.iloc[0].to_dict(), "budget": budget, "evaluated": len(members)})
    return pd.DataFrame(rows)


def _budgets_of(frame: pd.DataFrame) -> list[int]:
    return sorted({int(b) for value in frame["budgets"].dropna() for b in str(value).split(";") if b})


SPIKE_BITS, TIME_STEPS, TIE, NO_COMPARISON = "spike bits", "time steps", "tie", "no comparison"


def spike_vs_time(frame: pd.DataFrame) -> pd.DataFrame:
    """Per dataset and budget: the best allocation with more spike bits than time steps (S > T)
    against the best with more time steps (T > S), ranked as the search ranks (round reached, then
    top-1); ``winner`` says which side is better, or ``no comparison`` when a side is empty."""
    rows = []
    for dataset, group in frame.groupby("dataset", sort=False):
        for budget in _budgets_of(group):
            members = [
                r
                for r in group.to_dict(orient="records")
                if str(budget) in str(r["budgets"]).split(";") and as_number(r["top1"]) is not None
            ]
            spike = _best([r for r in members if r["s_bits"] > r["T"]])
            time = _best([r for r in members if r["T"] > r["s_bits"]])
            rows.append(
                {
                    "dataset": dataset,
                    "trained_dataset": group["trained_dataset"].iloc[0],
                    "data_kind": group["data_kind"].iloc[0],
                    "budget": budget,
                    "spike_wst": _wst_text(spike),
                    "spike_top1": spike and spike["top1"],
                    "spike_epochs": spike and int(spike["epochs"]),
                    "time_wst": _wst_text(time),
                    "time_top1": time and time["top1"],
                    "time_epochs": time and int(time["epochs"]),
                    "winner": _winner(spike, time),
                }
            )
    return pd.DataFrame(rows)


def _best(records: list[dict]) -> dict | None:
    return min(records, key=rank_key) if records else None


def _wst_text(rec: dict | None) -> str:
    return "" if rec is None else f"{int(rec['w_bits'])}/{int(rec['s_bits'])}/{int(rec['T'])}"


def _winner(spike: dict | None, time: dict | None) -> str:
    if spike is None or time is None:
        return NO_COMPARISON
    a = (int(spike["round"]), float(spike["top1"]))
    b = (int(time["round"]), float(time["top1"]))
    return TIE if a == b else SPIKE_BITS if a > b else TIME_STEPS


def verdict_lines(frame: pd.DataFrame, profile: str) -> list[str]:
    """One sentence per dataset: at each budget, whether spike bits beat time steps (from the CSV)."""
    from qsnn.summary import dataset_label

    lines = []
    table = spike_vs_time(frame)
    for dataset, group in table.groupby("dataset", sort=False):
        first = group.iloc[0]
        kind = f"{first['data_kind']}" + (", stand-in data" if profile == "quick" else "")
        trained = (
            "" if first["trained_dataset"] == dataset else f" (trained on {dataset_label(first['trained_dataset'])})"
        )
        parts = [_verdict_part(rec) for rec in group.to_dict(orient="records")]
        lines.append(f"{dataset_label(dataset)}{trained} [{kind}]: " + "; ".join(parts))
    return lines


def _verdict_part(rec: dict) -> str:
    b = rec["budget"]
    if rec["winner"] == NO_COMPARISON:
        side = "S > T" if not rec["spike_wst"] else "T > S"
        return f"budget {b}: no comparison (no allocation with {side})"
    # Accuracies of different rounds are of different training: say so rather than compare silently.
    epochs = "" if rec["spike_epochs"] == rec["time_epochs"] else " after {} epochs"
    spike = f"{rec['spike_wst']} {float(rec['spike_top1']):.1f} %" + epochs.format(rec["spike_epochs"])
    time = f"{rec['time_wst']} {float(rec['time_top1']):.1f} %" + epochs.format(rec["time_epochs"])
    if rec["winner"] == TIE:
        return f"budget {b}: spike bits tie with time steps ({spike} vs {time})"
    verb = "beat" if rec["winner"] == SPIKE_BITS else "lose to"
    return f"budget {b}: spike bits {verb} time steps ({spike} vs {time})"


# ---------------------------------------------------------------------------------- CSV reader / writer


def write_search(frame: pd.DataFrame, path: Path) -> Path:
    """Write a search CSV atomically, in the contracted column order."""
    from qsnn.io import atomic_write_csv

    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise SearchFileError(f"search frame lacks column(s) {', '.join(missing)}; build it with qsnn.search.summarize")
    return atomic_write_csv(frame[list(COLUMNS)], Path(path))


def read_search(path: Path, profile: str | None = None) -> pd.DataFrame:
    """A search CSV with its types; ``profile`` checks that every row comes from that profile."""
    path = Path(path)
    how = "build it with the workflow (`snakemake results/search/NAME.csv`)"
    if not path.is_file():
        raise FileNotFoundError(f"missing required input {path} (an allocation search); {how}")
    try:
        frame = pd.read_csv(path, dtype={c: "string" for c in TEXT_COLUMNS}, keep_default_na=True)
    except pd.errors.EmptyDataError:
        raise SearchFileError(f"{path} is empty (not even a header line); {how}") from None
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise SearchFileError(f"{path}: missing column(s) {', '.join(missing)}; {how}")
    if profile is not None:
        check_profile(profile)
        other = sorted(set(frame["profile"].dropna()) - {profile})
        if other:
            raise SearchFileError(
                f"{path}: rows come from profile(s) {', '.join(other)} but --profile {profile} was "
                "given; pass the profile that produced the file"
            )
    for col in INTEGER_COLUMNS:
        frame[col] = pd.to_numeric(frame[col], errors="coerce").astype("Int64")
    for col in BOOL_COLUMNS:
        frame[col] = frame[col].map(lambda v: str(v).strip().lower() == "true")
    for col in ("top1", "params_M", "s_ace_G", "ns_ace_G", "firing_rate", "train_seconds", "paper_acc"):
        frame[col] = pd.to_numeric(frame[col], errors="coerce")
    for col in ("budgets", "best_for", "paper_rows"):
        frame[col] = frame[col].fillna("").astype(str)
    return frame


# ---------------------------------------------------------------------------------- table + caption


def cost_unit(values: Iterable) -> tuple[str, float]:
    """A unit for G-valued costs so the largest prints with a few digits: G, M or k, and its factor."""
    largest = max((abs(v) for v in (as_number(x) for x in values) if v is not None), default=1.0)
    return ("G", 1.0) if largest >= 1 else ("M", 1e3) if largest >= 1e-3 else ("k", 1e6)


def _fmt(value, factor: float = 1.0, digits: int = 3) -> str:
    v = as_number(value)
    return "--" if v is None else f"{v * factor:.{digits}g}"


def table_context(frame: pd.DataFrame, profile: str) -> dict:
    """What tables/search.tex.j2 prints: the best allocation per budget, per dataset."""
    from qsnn.summary import dataset_label

    best = best_per_budget(frame)
    unit, factor = cost_unit(best["s_ace_G"]) if not best.empty else ("G", 1.0)
    # Params are in the paper's units (M 16-bit words); a tiny model's print in k.
    params_unit, params_factor = ("M", 1.0) if best.empty or best["params_M"].max() >= 1 else ("k", 1e3)
    first = frame.iloc[0]
    rows = [
        {
            "dataset": dataset_label(r["dataset"]),
            "budget": r["budget"],
            "wst": f"{int(r['w_bits'])} / {int(r['s_bits'])} / {int(r['T'])}",
            "top1": "--" if as_number(r["top1"]) is None else f"{float(r['top1']):.2f}",
            "s_ace": _fmt(r["s_ace_G"], factor),
            "ns_ace": _fmt(r["ns_ace_G"], factor),
            "estimated": str(r["ns_ace_kind"]).startswith("estimated"),
            "params": _fmt(r["params_M"], params_factor),
            "epochs": int(r["epochs"]),
            "evaluated": r["evaluated"],
            "front": bool(r["pareto_s_ace"]),
            "first": i == 0 or best.iloc[i - 1]["dataset"] != r["dataset"],
        }
        for i, r in enumerate(best.to_dict(orient="records"))
    ]
    return {
        "search": first["search"],
        "profile": profile,
        "notice": profile_notice(profile),
        "rows": rows,
        "unit": unit,
        "params_unit": params_unit,
        "mode": first["mode"],
        "relation": "=" if first["mode"] == "exact" else r"\le",
        "strategy": first["strategy"],
        "arch": first["arch"],
        "scale": first["cost_scale"],
        "provenance": provenance(frame),
        "has_estimated": any(r["estimated"] for r in rows),
        "quick": profile == "quick",
    }


def provenance(frame: pd.DataFrame) -> str:
    """E.g. ``digits (stand-in), digits-dvs (stand-in)`` or ``digits stand-in for CIFAR10``."""
    from qsnn.summary import dataset_label

    parts = []
    for (named, trained), _ in frame.groupby(["dataset", "trained_dataset"], sort=False):
        if named != trained:
            parts.append(f"{dataset_label(trained)} stand-in for {dataset_label(named)}")
        else:
            parts.append(dataset_label(named) + (" (stand-in)" if is_stand_in(str(named)) else ""))
    return ", ".join(parts)


def render_table(path: Path, profile: str, template_dir: Path | None = None) -> str:
    from qsnn.report.tables import TEMPLATE_DIR, make_environment

    frame = read_search(path, profile)
    env = make_environment(template_dir or TEMPLATE_DIR)
    return env.get_template("search.tex.j2").render(**table_context(frame, profile))


def render_table_html(path: Path, profile: str) -> str:
    """The same table as an HTML fragment, for Snakemake's report."""
    import html

    frame = read_search(path, profile)
    context = table_context(frame, profile)
    body = pd.DataFrame(
        [
            {
                "dataset": r["dataset"],
                "budget": r["budget"],
                "best W / S / T": r["wst"],
                "top-1 (%)": r["top1"],
                f"S-ACE ({context['unit']})": r["s_ace"],
                f"NS-ACE ({context['unit']})": r["ns_ace"] + ("<sup>e</sup>" if r["estimated"] else ""),
                f"params ({context['params_unit']})": r["params"],
                "epochs": r["epochs"],
                "allocations": r["evaluated"],
                "on the S-ACE front": "yes" if r["front"] else "no",
            }
            for r in context["rows"]
        ]
    )
    caption = (
        f"Allocation search {context['search']}: the best W/S/T per bit budget. {caption_profile(profile)}; "
        f"data: {context['provenance']}; {context['strategy']}."
    )
    return (
        f'<div class="qsnn"><p><b>{html.escape(caption)}</b></p>\n'
        f"{body.to_html(index=False, escape=False, border=0, classes='qsnn-table')}\n</div>\n"
    )


def caption_profile(profile: str) -> str:
    notice = profile_notice(profile)
    return f"Profile: {profile}" + (f" ({notice})" if notice else "")


def figure_caption(frame: pd.DataFrame, profile: str) -> str:
    """Fig. 7's caption for the Snakemake report (reStructuredText), its verdicts computed from the CSV."""
    first = frame.iloc[0]
    drawn = [
        "the Pareto front of the allocations that reached the last round is drawn",
        "dominated allocations are grey",
    ]
    if (frame["status"] == STATUS_ELIMINATED).any():
        drawn.append("allocations a halving round eliminated are hollow (their accuracy is of fewer epochs)")
    if (frame["paper_rows"] != "").any():
        drawn.append(
            "rings mark the W/S/T of the paper's own rows"
            + (" (our stand-in runs, not the paper's accuracies)" if profile == "quick" else "")
        )
    lines = [
        f"Fig. 7: allocation search ``{first['search']}`` ({first['arch']}, {first['strategy']}; mode "
        f"{first['mode']}). Top-1 accuracy against S-ACE ({first['cost_scale']}) of every allocation; "
        + "; ".join(drawn)
        + ".",
        "",
        f"{caption_profile(profile)}. Data: {provenance(frame)}.",
        "",
        "Do spike bits beat time steps? The best allocation with S > T against the best with T > S, at each budget:",
        "",
    ]
    return "\n".join(lines + [f"- {line}" for line in verdict_lines(frame, profile)]) + "\n"
