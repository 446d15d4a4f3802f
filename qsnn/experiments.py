"""The experiments of the paper, as data: config -> table entries -> training runs.

The workflow config (``config/config.yaml``, ``config/paper.yaml``; schema
``workflow/schemas/config.schema.yaml``) does not repeat the paper's tables. Each row of
``data/paper/table{N}.csv`` names its architecture (``arch_id``), its paper dataset and its
W/S/T; the config says which of those rows are trained (``tables.tableN.train``), on which paper
datasets, for how many epochs, and how the quick profile shrinks them. So every row of Tables 1-5
exists once, as data, and becomes one :class:`Entry` per (row, paper dataset).

An :class:`Entry` points at the :class:`Run` that produces its accuracy. Runs are deduplicated by
run id, ``{dataset}__{arch}__{wst.slug}__e{epochs}__s{seed}`` of what is actually trained: a row
shared by Tables 2 and 5 is trained once, and in the quick profile CIFAR10 and CIFAR100 rows that
map to the same stand-in (``digits``) share a run.

Users extend the benchmark with one line under ``extensions:``
(``- {dataset: cifar100, arch: spikformer-4-384, wst: 3/3/3}``); it becomes a run, a row of
``results/summary/experiments.csv`` (``source = extension``), a line of the reproduction report
and a point in Fig. 5.

Validation happens in two steps, both before any job runs: the JSON Schema (structure, types,
required keys, allowed values), then the semantics here (W/S/T ranges, known datasets and
architectures, duplicate runs). Every error is a :class:`ConfigError` naming the key and the fix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from qsnn.wst import WST, parse_wst

SCHEMA_PATH = Path(__file__).resolve().parent.parent / "workflow" / "schemas" / "config.schema.yaml"
TABLE_NUMBERS = (1, 2, 3, 4, 5)
RUN_ID_PATTERN = re.compile(
    r"^(?P<dataset>[a-z0-9-]+)__(?P<arch>[a-z0-9-]+)__w(?P<w>\d+)s(?P<s>\d+)t(?P<t>\d+)__e(?P<epochs>\d+)__s(?P<seed>\d+)$"
)


class ConfigError(ValueError):
    """A workflow configuration that cannot run; the message names the key and the fix."""


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class Run:
    """One training job: what ``qsnn train`` is called with."""

    dataset: str
    arch: str
    wst: WST
    epochs: int
    seed: int

    @property
    def run_id(self) -> str:
        return f"{self.dataset}__{self.arch}__{self.wst.slug}__e{self.epochs}__s{self.seed}"

    @classmethod
    def from_id(cls, run_id: str) -> "Run":
        """Invert :attr:`run_id` (the Snakemake rule only sees the id in the output path)."""
        match = RUN_ID_PATTERN.match(run_id)
        if not match:
            raise ConfigError(
                f"malformed run id {run_id!r}: expected DATASET__ARCH__wWsStT__eEPOCHS__sSEED, "
                "e.g. digits__spikformer-tiny__w4s2t1__e15__s0"
            )
        g = match.groupdict()
        return cls(g["dataset"], g["arch"], WST(int(g["w"]), int(g["s"]), int(g["t"])), int(g["epochs"]), int(g["seed"]))


@dataclass(frozen=True)
class Entry:
    """One row of ``results/summary/experiments.csv``: a table row on one paper dataset,
    a figure-only point (Fig. 5's weight sweep) or a user extension."""

    table: int | None
    row: int | None
    group: str
    method: str
    source: str  # "this paper" | "cited" | "extension"
    arch_label: str
    arch: str  # registry id of the paper's architecture ("" when the paper's is not registered)
    paper_dataset: str
    wst: WST
    epochs: int
    run: Run | None  # None for cited rows: not trained, published accuracy only
    figures: tuple[str, ...] = ()

    @property
    def status(self) -> str:
        """Planned status; ``experiments.csv`` turns ``trained`` into ``missing`` until metrics.json exists."""
        if self.run is not None:
            return "trained"
        return "cited" if self.source == "cited" else "missing"


@dataclass(frozen=True)
class TableSpec:
    number: int
    datasets: tuple[str, ...]
    train: str | tuple[int, ...]  # "this paper" | "none" | "all" | explicit row numbers
    arch: str | None = None  # for rows whose arch_id is blank (Table 4 names no network)


@dataclass(frozen=True)
class FigureSpec:
    name: str
    tables: tuple[int, ...] = ()
    datasets: tuple[str, ...] = ()
    w_bits: tuple[int, ...] = ()
    weight_sweep: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Extension:
    dataset: str
    arch: str
    wst: WST
    epochs: int | None
    figures: tuple[str, ...]


@dataclass(frozen=True)
class ExperimentConfig:
    """The validated workflow configuration."""

    profile: str
    seed: int
    paper_dir: Path
    data_root: str
    epochs: Mapping[str, int]
    tables: tuple[TableSpec, ...]
    quick_datasets: Mapping[str, str] = field(default_factory=dict)
    quick_archs: Mapping[str, str] = field(default_factory=dict)
    figures: tuple[FigureSpec, ...] = ()
    extensions: tuple[Extension, ...] = ()
    batch_size: int | None = None
    lr: float | None = None

    @property
    def is_quick(self) -> bool:
        return self.profile == "quick"


@dataclass(frozen=True)
class Plan:
    """Everything the workflow does: the rows it reports and the (deduplicated) runs it trains."""

    profile: str
    entries: tuple[Entry, ...]

    @property
    def runs(self) -> tuple[Run, ...]:
        unique: dict[str, Run] = {}
        for entry in self.entries:
            if entry.run is not None:
                unique.setdefault(entry.run.run_id, entry.run)
        return tuple(unique[k] for k in sorted(unique))

    def run_ids(self, table: int | None = None, figure: str | None = None) -> list[str]:
        """Run ids of the whole plan, or of what one table or one figure needs."""
        ids = {
            e.run.run_id
            for e in self.entries
            if e.run is not None and (table is None or e.table == table) and (figure is None or figure in e.figures)
        }
        return sorted(ids)

    def datasets(self) -> list[str]:
        return sorted({run.dataset for run in self.runs})

    def to_records(self) -> list[dict]:
        """One JSON-able dict per entry (``results/summary/plan.json``)."""
        return [
            {
                "table": "" if e.table is None else e.table, "row": "" if e.row is None else e.row, "group": e.group, "method": e.method, "source": e.source,
                "arch_label": e.arch_label, "arch": e.arch, "paper_dataset": e.paper_dataset,
                "figures": ";".join(e.figures), "profile": self.profile,
                "dataset": e.run.dataset if e.run else "", "trained_arch": e.run.arch if e.run else "",
                "w_bits": e.wst.w_bits, "s_bits": e.wst.s_bits, "T": e.wst.T, "bit_budget": e.wst.bit_budget,
                "epochs": e.epochs if e.run else "", "run_id": e.run.run_id if e.run else "", "status": e.status,
            }
            for e in self.entries
        ]


# --------------------------------------------------------------------------- loading + validation


def load_schema() -> dict:
    with open(SCHEMA_PATH) as fh:
        return yaml.safe_load(fh)


def validate_schema(raw: Mapping) -> None:
    """Check ``raw`` against the JSON Schema; raise ConfigError naming the key and the allowed values."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load_schema())
    errors = sorted(validator.iter_errors(raw), key=lambda e: list(e.absolute_path))
    if errors:
        raise ConfigError("invalid workflow config:\n" + "\n".join(_describe_schema_error(e) for e in errors))


def _describe_schema_error(err) -> str:
    key = _key_path(err.absolute_path) or "(top level)"
    if err.validator == "required":
        missing = re.findall(r"'([^']+)' is a required property", err.message)
        where = f" under {key}" if err.absolute_path else ""
        return f"- missing required key {'.'.join(missing) or err.message}{where}: add it (see workflow/schemas/config.schema.yaml)"
    if err.validator == "enum":
        return f"- {key}: {err.instance!r} is not allowed; allowed values: {', '.join(map(repr, err.validator_value))}"
    if err.validator == "type":
        return f"- {key}: {err.instance!r} has the wrong type; expected {err.validator_value}"
    if err.validator == "additionalProperties":
        return f"- {key}: {err.message}; remove or rename it (allowed keys are in workflow/schemas/config.schema.yaml)"
    if err.validator == "pattern" and key.endswith(".wst"):
        return f"- {key}: {err.instance!r} is not a W/S/T allocation; write three integers like '4/2/1' (weight bits/spike bits/time steps)"
    if err.validator == "oneOf" and key.endswith(".train"):
        return f"- {key}: {err.instance!r} is not allowed; use 'this paper', 'none', 'all' or a list of row numbers"
    return f"- {key}: {err.message}"


def _key_path(parts: Iterable) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def load_config(source: str | Path | Mapping, base_dir: Path | None = None) -> ExperimentConfig:
    """Validate a config (a YAML path or an already-merged mapping) and return it typed.

    ``base_dir`` resolves a relative ``paper_dir`` (default: the current directory, which is
    the workflow's working directory).
    """
    if isinstance(source, (str, Path)):
        with open(source) as fh:
            raw = yaml.safe_load(fh) or {}
    else:
        raw = dict(source)
    validate_schema(raw)
    return _build_config(raw, base_dir or Path.cwd())


def _build_config(raw: Mapping, base_dir: Path) -> ExperimentConfig:
    quick = raw.get("quick") or {}
    if raw["profile"] == "quick" and not quick:
        raise ConfigError("profile 'quick' needs the key 'quick' (stand-in datasets and tiny architectures); add it")
    tables = tuple(
        TableSpec(int(key[5:]), tuple(spec["datasets"]),
                  spec["train"] if isinstance(spec["train"], str) else tuple(spec["train"]), spec.get("arch"))
        for key, spec in sorted(raw["tables"].items())
    )
    figures = tuple(
        FigureSpec(name, tuple(spec.get("tables", ())), tuple(spec.get("datasets", ())), tuple(spec.get("w_bits", ())), spec.get("weight_sweep"))
        for name, spec in sorted((raw.get("figures") or {}).items())
    )
    extensions = tuple(
        Extension(ext["dataset"], ext["arch"], _wst_at(f"extensions[{i}].wst", ext["wst"]), ext.get("epochs"), tuple(ext.get("figures", ["fig5"])))
        for i, ext in enumerate(raw.get("extensions") or [])
    )
    train = raw.get("train") or {}
    cfg = ExperimentConfig(
        profile=raw["profile"], seed=raw["seed"], paper_dir=(base_dir / raw["paper_dir"]), data_root=raw["data_root"],
        epochs=dict(raw["epochs"]), tables=tables, quick_datasets=dict(quick.get("datasets", {})),
        quick_archs=dict(quick.get("archs", {})), figures=figures, extensions=extensions,
        batch_size=train.get("batch_size"), lr=train.get("lr"),
    )
    _check_names(cfg)
    return cfg


def _wst_at(key: str, text: str) -> WST:
    """Parse W/S/T; non-integers (S=1.5) reach WST's range check so the message names W, S or T."""
    try:
        parts = [p.strip() for p in str(text).split("/")]
        if len(parts) == 3 and all(re.fullmatch(r"-?\d+(\.\d+)?", p) for p in parts):
            numbers = [int(p) if re.fullmatch(r"-?\d+", p) else float(p) for p in parts]
            return WST(*numbers)
        return parse_wst(text)
    except ValueError as err:
        raise ConfigError(f"{key}: {err}. Write W/S/T as three integers, e.g. '4/2/1' (W, S in 1..16, T >= 1)") from None


def _check_names(cfg: ExperimentConfig) -> None:
    """Every dataset and architecture named in the config must be registered."""
    for spec in cfg.tables:
        if spec.arch:
            check_arch(f"tables.table{spec.number}.arch", spec.arch)
        for i, name in enumerate(spec.datasets):
            check_dataset(f"tables.table{spec.number}.datasets[{i}]", name)
    for key, name in cfg.quick_datasets.items():
        check_dataset(f"quick.datasets.{key}", name)
    for key, name in cfg.quick_archs.items():
        check_arch(f"quick.archs.{key}", name)
    for fig in cfg.figures:
        for i, name in enumerate(fig.datasets):
            check_dataset(f"figures.{fig.name}.datasets[{i}]", name)
        if fig.weight_sweep:
            check_dataset(f"figures.{fig.name}.weight_sweep.dataset", fig.weight_sweep["dataset"])
            check_arch(f"figures.{fig.name}.weight_sweep.arch", fig.weight_sweep["arch"])
            for w in fig.weight_sweep["w_bits"]:
                _wst_at(f"figures.{fig.name}.weight_sweep", f"{w}/{fig.weight_sweep['s_bits']}/{fig.weight_sweep['T']}")
    for i, ext in enumerate(cfg.extensions):
        check_dataset(f"extensions[{i}].dataset", ext.dataset)
        check_arch(f"extensions[{i}].arch", ext.arch)


def check_dataset(key: str, name: str) -> None:
    from qsnn.data import list_datasets  # lazy: keeps `snakemake --lint` and the schema light

    known = list_datasets()
    if name not in known:
        raise ConfigError(f"{key}: unknown dataset {name!r}; allowed values: {', '.join(known)}")


def check_arch(key: str, name: str) -> None:
    from qsnn.models import list_archs

    known = list_archs()
    if name not in known:
        raise ConfigError(f"{key}: unknown architecture {name!r}; allowed values: {', '.join(known)} (see `qsnn archs`)")


# --------------------------------------------------------------------------- expansion


def dataset_kind(name: str) -> str:
    from qsnn.data import dataset_info

    return dataset_info(name).kind


def trained_dataset(cfg: ExperimentConfig, paper_dataset: str) -> str:
    """The dataset a row is trained on: the paper's own, or its stand-in in the quick profile."""
    if not cfg.is_quick:
        return paper_dataset
    return cfg.quick_datasets[dataset_kind(paper_dataset)]


def trained_arch(cfg: ExperimentConfig, arch: str) -> str:
    """The architecture trained: the paper's own, or its tiny sibling (longest matching prefix)."""
    if not cfg.is_quick:
        return arch
    matches = [prefix for prefix in cfg.quick_archs if arch == prefix or arch.startswith(prefix)]
    if not matches:
        raise ConfigError(
            f"quick.archs: no tiny sibling for architecture {arch!r}; add a line '{arch.split('-')[0]}: <tiny arch>' "
            f"(known prefixes: {', '.join(sorted(cfg.quick_archs))})"
        )
    return cfg.quick_archs[max(matches, key=len)]


def epochs_for(cfg: ExperimentConfig, paper_dataset: str) -> int:
    """Paper Sec. 6.3: 310 epochs on ImageNet, 400 on the others (config ``epochs``)."""
    if paper_dataset == "imagenet" and "imagenet" in cfg.epochs:
        return cfg.epochs["imagenet"]
    return cfg.epochs[dataset_kind(paper_dataset)]


def make_run(cfg: ExperimentConfig, paper_dataset: str, arch: str, wst: WST, epochs: int | None = None) -> Run:
    return Run(trained_dataset(cfg, paper_dataset), trained_arch(cfg, arch), wst, epochs or epochs_for(cfg, paper_dataset), cfg.seed)


def read_paper_table(paper_dir: Path, number: int):
    """``data/paper/tableN.csv`` as a DataFrame (blanks stay blank)."""
    import pandas as pd

    path = Path(paper_dir) / f"table{number}.csv"
    if not path.exists():
        raise ConfigError(f"paper_dir: {path} is missing; the transcribed paper tables belong in {paper_dir}/table1..5.csv")
    return pd.read_csv(path, dtype={"source": str, "arch_id": str, "dataset": str, "arch": str}, keep_default_na=False)


def row_datasets(row_dataset: str, table_datasets: tuple[str, ...]) -> list[str]:
    """Paper datasets of one printed row: the table's datasets, narrowed by the row's own column
    when it names some (Table 4 mixes CIFAR10 and CIFAR10-DVS rows; Table 2 rows cover both CIFARs)."""
    named = [d for d in re.split(r"[;,\s]+", str(row_dataset or "")) if d]
    return [d for d in table_datasets if not named or d in named]


def _is_trained(spec: TableSpec, row: int, source: str) -> bool:
    if isinstance(spec.train, tuple):
        return row in spec.train
    return spec.train == "all" or (spec.train == "this paper" and source == "this paper")


def _figures_for(cfg: ExperimentConfig, table: int, paper_dataset: str, wst: WST) -> tuple[str, ...]:
    return tuple(
        f.name
        for f in cfg.figures
        if table in f.tables and (not f.datasets or paper_dataset in f.datasets) and (not f.w_bits or wst.w_bits in f.w_bits)
    )


def table_entries(cfg: ExperimentConfig, spec: TableSpec) -> list[Entry]:
    frame = read_paper_table(cfg.paper_dir, spec.number)
    entries = []
    for _, rec in frame.iterrows():
        row = int(rec["row"])
        key = f"{cfg.paper_dir}/table{spec.number}.csv row {row}"
        wst = _wst_at(key, f"{rec['w_bits']}/{rec['s_bits']}/{rec['T']}")
        arch = str(rec.get("arch_id", "") or "") or (spec.arch or "")
        source = str(rec.get("source", "") or "this paper")
        trained = _is_trained(spec, row, source)
        if trained and not arch:
            raise ConfigError(
                f"tables.table{spec.number}.arch: {key} names no architecture (arch_id is blank); "
                f"set tables.table{spec.number}.arch to the network to train, e.g. spikformer-4-384"
            )
        if trained:
            check_arch(f"{key} (arch_id)", arch)
        for paper_dataset in row_datasets(rec.get("dataset", ""), spec.datasets):
            entries.append(Entry(
                table=spec.number, row=row, group=str(rec.get("group", "")), method=str(rec.get("method", "")),
                source=source, arch_label=str(rec.get("arch", "")), arch=arch, paper_dataset=paper_dataset, wst=wst,
                epochs=epochs_for(cfg, paper_dataset),
                run=make_run(cfg, paper_dataset, arch, wst) if trained else None,
                figures=_figures_for(cfg, spec.number, paper_dataset, wst),
            ))
    return entries


def sweep_entries(cfg: ExperimentConfig) -> list[Entry]:
    """Figure-only points, e.g. Fig. 5's weight bit-width sweep (W varies, S/T fixed)."""
    entries = []
    for fig in cfg.figures:
        sweep = fig.weight_sweep
        if not sweep:
            continue
        for w in sweep["w_bits"]:
            wst = WST(w, sweep["s_bits"], sweep["T"])
            entries.append(Entry(
                table=None, row=None, group="weight sweep", method="Quantized (weight sweep)", source="this paper",
                arch_label=sweep["arch"], arch=sweep["arch"], paper_dataset=sweep["dataset"], wst=wst,
                epochs=epochs_for(cfg, sweep["dataset"]), run=make_run(cfg, sweep["dataset"], sweep["arch"], wst),
                figures=(fig.name,),
            ))
    return entries


def extension_entries(cfg: ExperimentConfig) -> list[Entry]:
    entries = []
    seen: dict[str, int] = {}
    for i, ext in enumerate(cfg.extensions):
        epochs = ext.epochs or epochs_for(cfg, ext.dataset)
        # Duplicates are judged on the full-scale experiment, not on the (possibly shared) quick run.
        full_id = Run(ext.dataset, ext.arch, ext.wst, epochs, cfg.seed).run_id
        if full_id in seen:
            raise ConfigError(
                f"extensions[{i}]: duplicate run id {full_id!r} (same as extensions[{seen[full_id]}]); remove one of them"
            )
        seen[full_id] = i
        entries.append(Entry(
            table=None, row=None, group="extension", method="Extension (config)", source="extension",
            arch_label=ext.arch, arch=ext.arch, paper_dataset=ext.dataset, wst=ext.wst, epochs=epochs,
            run=make_run(cfg, ext.dataset, ext.arch, ext.wst, ext.epochs), figures=ext.figures,
        ))
    return entries


def _check_extensions_are_new(table_rows: list[Entry], extensions: list[Entry]) -> None:
    """An extension that repeats a table row is a duplicate run: say where it already is."""
    rows: dict[tuple, Entry] = {}
    for e in table_rows:
        if e.run is not None:
            rows.setdefault((e.paper_dataset, e.arch, str(e.wst)), e)
    for i, ext in enumerate(extensions):
        twin = rows.get((ext.paper_dataset, ext.arch, str(ext.wst)))
        if twin is not None:
            raise ConfigError(
                f"extensions[{i}]: duplicate run id {ext.run.run_id!r}: {ext.paper_dataset} {ext.arch} {ext.wst} is already "
                f"Table {twin.table} row {twin.row}; remove the extension (its result is in the table)"
            )


def expand(cfg: ExperimentConfig) -> Plan:
    """All entries of the config: table rows, figure-only sweeps, extensions; runs deduplicated."""
    table_rows = [entry for spec in cfg.tables for entry in table_entries(cfg, spec)]
    extensions = extension_entries(cfg)
    _check_extensions_are_new(table_rows, extensions)
    return Plan(cfg.profile, tuple(table_rows + sweep_entries(cfg) + extensions))


def plan_from_config(source: str | Path | Mapping, base_dir: Path | None = None) -> Plan:
    return expand(load_config(source, base_dir))
