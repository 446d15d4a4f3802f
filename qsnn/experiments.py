"""The experiments of the paper, as data: config -> table entries -> training runs.

The workflow config (``config/config.yaml``, ``config/paper.yaml``; schema
``workflow/schemas/config.schema.yaml``) does not repeat the paper's tables. Each row of
``data/paper/table{N}.csv`` names its architecture (``arch_id``), its paper dataset and its
W/S/T; the config says which of those rows are trained (``tables.tableN.train``), on which paper
datasets, for how many epochs, and how the quick profile shrinks them. So every row of Tables 1-5
exists once, as data, and becomes one :class:`Entry` per (row, paper dataset).

An :class:`Entry` points at the :class:`Run` that produces its accuracy. Runs are deduplicated by
run id, ``{dataset}__{arch}__{wst.slug}__e{epochs}__s{seed}__{settings}`` of what is actually
trained: a row shared by Tables 2 and 5 is trained once, and in the quick profile CIFAR10 and
CIFAR100 rows that map to the same stand-in (``digits``) share a run. ``{settings}`` is a short
hash of every other setting that changes a result (:class:`TrainSettings`: batch size, learning
rate, the per-epoch batch cap, whether the data's checksums were verified), so a changed setting
is a new run and never collides with an old checkpoint, and a rehearsal run (fake, unverified
data, two batches) can never be mistaken for the paper run of the same W/S/T.

Profiles: ``quick`` (stand-ins), ``paper`` (the real thing) and ``rehearsal``: the paper
profile's plan, job for job, on fake data in the real formats (``data.fake``), with the runs
capped by ``train.limit_batches``. ``outputs`` selects what ``snakemake`` builds by default.

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
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from qsnn import resources
from qsnn.wst import WST, parse_wst

SCHEMA_PATH = resources.schema_path()  # workflow/schemas/config.schema.yaml, shipped as package data
TABLE_NUMBERS = (1, 2, 3, 4, 5)
RUN_ID_PATTERN = re.compile(
    r"^(?P<dataset>[a-z0-9-]+)__(?P<arch>[a-z0-9-]+)__w(?P<w>\d+)s(?P<s>\d+)t(?P<t>\d+)__e(?P<epochs>\d+)__s(?P<seed>\d+)"
    r"__(?P<settings>[0-9a-f]{8})$"
)
# `qsnn train`'s defaults (paper Sec. 6.3), used when the config's `train:` block leaves a key out.
DEFAULT_BATCH_SIZE = 128
DEFAULT_LR = 5e-4
# What `snakemake` builds when no target is named; `outputs:` in the config narrows it.
ALL_OUTPUTS = {
    "tables": [1, 2, 3, 4, 5],
    "figures": [1, 2, 3, 4, 5, 6],
    "hardware": ["synthesis", "activity", "accelerator", "validation", "traces"],
    "report": True,
    "search": True,  # each configured search: its CSV, table and (the first) Fig. 7
}


class ConfigError(ValueError):
    """A workflow configuration that cannot run; the message names the key and the fix."""


# --------------------------------------------------------------------------- dataclasses


@dataclass(frozen=True)
class TrainSettings:
    """Every setting of a run, besides dataset, architecture, W/S/T, epochs and seed, that changes
    its result. Part of the run's identity (the run id's last field); the code version is not:
    a run trained by older code stays valid, and its metrics.json records that version."""

    batch_size: int = DEFAULT_BATCH_SIZE
    lr: float = DEFAULT_LR
    limit_batches: int | None = None  # optimizer steps (and test batches) per epoch; None = all
    checksums_verified: bool = True  # False when the data was prepared with --skip-checksum

    def to_dict(self) -> dict:
        return {
            "batch_size": self.batch_size,
            "lr": self.lr,
            "limit_batches": self.limit_batches,
            "checksums_verified": self.checksums_verified,
        }

    @property
    def tag(self) -> str:
        import hashlib
        import json

        canonical = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(canonical.encode()).hexdigest()[:8]


@dataclass(frozen=True)
class Run:
    """One training job: what ``qsnn train`` is called with."""

    dataset: str
    arch: str
    wst: WST
    epochs: int
    seed: int
    settings: TrainSettings = field(default_factory=TrainSettings)

    @property
    def run_id(self) -> str:
        return f"{self.dataset}__{self.arch}__{self.wst.slug}__e{self.epochs}__s{self.seed}__{self.settings.tag}"


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
    figures: tuple[FigureSpec, ...] = ()
    extensions: tuple[Extension, ...] = ()
    settings: TrainSettings = field(default_factory=TrainSettings)
    fake: Mapping[str, Any] | None = None  # rehearsal only: {samples, seed} of `qsnn data fake`
    archive_dir: str | None = None  # prepare datasets from local archives instead of downloading
    outputs: Mapping[str, Any] = field(default_factory=lambda: dict(ALL_OUTPUTS))
    searches: tuple = ()  # qsnn.search.SearchSpec per `search:` block (allocation searches)

    @property
    def is_quick(self) -> bool:
        return self.profile == "quick"


@dataclass(frozen=True)
class Plan:
    """Everything the workflow does: the rows it reports and the (deduplicated) runs it trains."""

    profile: str
    entries: tuple[Entry, ...]
    config: ExperimentConfig | None = None

    def run(self, run_id: str) -> Run:
        """The planned run behind ``run_id`` (the Snakemake rule only sees the id in the output path)."""
        for run in self.runs:
            if run.run_id == run_id:
                return run
        raise ConfigError(
            f"run id {run_id!r} is not in this config's plan; list the planned runs with "
            "`snakemake -n` or `qsnn report plan`"
        )

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
                "table": "" if e.table is None else e.table,
                "row": "" if e.row is None else e.row,
                "group": e.group,
                "method": e.method,
                "source": e.source,
                "arch_label": e.arch_label,
                "arch": e.arch,
                "paper_dataset": e.paper_dataset,
                "figures": ";".join(e.figures),
                "profile": self.profile,
                "dataset": e.run.dataset if e.run else "",
                "trained_arch": e.run.arch if e.run else "",
                "w_bits": e.wst.w_bits,
                "s_bits": e.wst.s_bits,
                "T": e.wst.T,
                "bit_budget": e.wst.bit_budget,
                "epochs": e.epochs if e.run else "",
                "run_id": e.run.run_id if e.run else "",
                "status": e.status,
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
        hint = ""
        if isinstance(err.instance, str) and "object" in str(err.validator_value):
            # `--config train={lr: 0.001}` reaches the workflow as a string.
            hint = (
                "; nested keys cannot be set with --config KEY=VALUE: put them in a YAML file and pass it "
                "with --configfile FILE"
            )
        return f"- {key}: {err.instance!r} has the wrong type; expected {err.validator_value}{hint}"
    if err.validator == "additionalProperties":
        return f"- {key}: {err.message}; remove or rename it (allowed keys are in workflow/schemas/config.schema.yaml)"
    if err.validator == "pattern" and key.endswith(".wst"):
        return f"- {key}: {err.instance!r} is not a W/S/T allocation; write three integers like '4/2/1' (weight bits/spike bits/time steps)"
    if err.validator == "uniqueItems":
        return f"- {key}: {err.instance!r} lists an item twice; list each one once"
    if err.validator == "minProperties" and key == "tables":
        return "- tables: {} selects no table; configure at least one of table1..table5 (see config/config.yaml)"
    if err.validator in ("minimum", "maximum", "exclusiveMinimum"):
        return f"- {key}: {err.instance!r} is out of range ({err.message.split(' is ', 1)[-1]})"
    if err.validator == "oneOf" and key.endswith(".train"):
        return f"- {key}: {err.instance!r} is not allowed; use 'this paper', 'none', 'all' or a list of row numbers"
    return f"- {key}: {err.message}"


def _key_path(parts: Iterable) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def read_yaml(path: str | Path) -> dict:
    """A YAML config file; a syntax error names the file, line and column."""
    try:
        with open(path) as fh:
            raw = yaml.safe_load(fh)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ConfigError(f"{path}{where}: invalid YAML ({err.problem}); fix the syntax there") from None
    except OSError as err:
        raise ConfigError(f"{path}: cannot be read ({err.strerror}); pass an existing config file") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(
            f"{path}: the top level must be a mapping of keys (profile, seed, ...), not a {type(raw).__name__}"
        )
    return raw


# Keys an overlay replaces whole: they are selections, and merging two selections would train the
# union (a config that lists only Table 2 must train only Table 2's runs).
REPLACED_KEYS = ("tables", "figures", "extensions", "outputs", "search")


def resolve_extends(raw: Mapping, folder: Path, seen: tuple[Path, ...] = ()) -> dict:
    """Apply ``extends: FILE`` (relative to the config's own folder): the base file first, then this
    one over it. Mappings merge key by key, except the selections in REPLACED_KEYS, which this file
    replaces whole; lists and values replace. Bases may extend further bases."""
    import copy

    raw = copy.deepcopy(dict(raw))
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str):
        raise ConfigError(f"extends: {base_name!r} is not a file name; write e.g. 'extends: paper.yaml'")
    path = (Path(folder) / base_name).resolve()
    if path in seen:
        raise ConfigError(
            f"extends: {base_name!r} extends itself through {', '.join(p.name for p in seen)}; break the cycle"
        )
    if not path.is_file():
        raise ConfigError(f"extends: {path} does not exist; name a config file next to this one, e.g. paper.yaml")
    base = resolve_extends(read_yaml(path), path.parent, seen + (path,))
    return _overlay(base, raw, top=True)


def _overlay(base: dict, new: Mapping, top: bool = False) -> dict:
    merged = dict(base)
    for key, value in new.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping) and not (top and key in REPLACED_KEYS):
            merged[key] = _overlay(dict(merged[key]), value)
        else:
            merged[key] = value
    return merged


def load_config(source: str | Path | Mapping, base_dir: Path | None = None) -> ExperimentConfig:
    """Validate a config (a YAML path or an already-merged mapping) and return it typed.

    ``base_dir`` resolves a relative ``paper_dir`` (default: the current directory, which is
    the workflow's working directory); without ``paper_dir`` the tables shipped with qsnn are used.
    A YAML path may ``extends:`` another config.
    """
    import copy

    if isinstance(source, (str, Path)):
        raw = resolve_extends(read_yaml(source), Path(source).parent)
    else:
        raw = copy.deepcopy(dict(source))
    schema = load_schema()
    _check_retired_keys(raw)
    _coerce_numbers(raw, schema)
    validate_schema(raw)
    _check_numbers(raw, schema, "")
    return _build_config(raw, base_dir or Path.cwd())


def _check_retired_keys(raw: Mapping) -> None:
    """Keys an older config may still carry, each with what replaced it (before the schema's generic message)."""
    if isinstance(raw.get("quick"), Mapping) and "archs" in raw["quick"]:
        raise ConfigError(
            "quick.archs: this key is retired; each architecture now names its tiny sibling itself "
            "(stand_in= in its register(...) call in qsnn/models/, see `qsnn archs`): delete quick.archs "
            "from the config"
        )


_FLOAT_TEXT = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def _subschema(schema: Mapping, key) -> Mapping | None:
    """The schema of ``key`` under an object or array ``schema`` (None when unconstrained)."""
    if isinstance(key, int):
        items = schema.get("items")
        return items if isinstance(items, Mapping) else None
    if key in schema.get("properties", {}):
        return schema["properties"][key]
    for pattern, sub in schema.get("patternProperties", {}).items():
        if re.search(pattern, str(key)):
            return sub
    extra = schema.get("additionalProperties")
    return extra if isinstance(extra, Mapping) else None


def _children(value):
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return list(enumerate(value))
    return []


def _coerce_numbers(raw, schema: Mapping) -> None:
    """YAML 1.1 reads ``1e-3`` (no dot) as a string: where the schema wants a number, read it as one."""
    for key, value in _children(raw):
        sub = _subschema(schema, key)
        if sub is None:
            continue
        if sub.get("type") == "number" and isinstance(value, str) and _FLOAT_TEXT.match(value.strip()):
            raw[key] = float(value)
        else:
            _coerce_numbers(value, sub)


def _check_numbers(raw, schema: Mapping, path: str) -> None:
    """JSON Schema calls 20.0 an integer and accepts NaN and infinity as numbers; a run needs
    exact integers and finite numbers, so reject those here with the key's name."""
    import math

    for key, value in _children(raw):
        sub = _subschema(schema, key)
        if sub is None:
            continue
        where = f"{path}[{key}]" if isinstance(key, int) else (f"{path}.{key}" if path else str(key))
        types = sub.get("type")
        types = types if isinstance(types, list) else [types]
        if "integer" in types and isinstance(value, float):
            raise ConfigError(
                f"{where}: {value!r} is not an integer; write it without a decimal point, e.g. {int(value)}"
                if math.isfinite(value)
                else f"{where}: {value!r} is not an integer"
            )
        if "number" in types and isinstance(value, float) and not math.isfinite(value):
            raise ConfigError(f"{where}: {value!r} is not a finite number; give a positive number such as 0.0005")
        _check_numbers(value, sub, where)


def _build_config(raw: Mapping, base_dir: Path) -> ExperimentConfig:
    quick = raw.get("quick") or {}
    if raw["profile"] == "quick" and not quick:
        raise ConfigError("profile 'quick' needs the key 'quick' (its stand-in datasets); add it")
    tables = tuple(
        TableSpec(
            int(key[5:]),
            tuple(spec["datasets"]),
            spec["train"] if isinstance(spec["train"], str) else tuple(spec["train"]),
            spec.get("arch"),
        )
        for key, spec in sorted(raw["tables"].items())
    )
    figures = tuple(
        FigureSpec(
            name,
            tuple(spec.get("tables", ())),
            tuple(spec.get("datasets", ())),
            tuple(spec.get("w_bits", ())),
            spec.get("weight_sweep"),
        )
        for name, spec in sorted((raw.get("figures") or {}).items())
    )
    extensions = tuple(
        Extension(
            ext["dataset"],
            ext["arch"],
            _wst_at(f"extensions[{i}].wst", ext["wst"]),
            ext.get("epochs"),
            tuple(ext.get("figures", ["fig5"])),
        )
        for i, ext in enumerate(raw.get("extensions") or [])
    )
    train = raw.get("train") or {}
    data = raw.get("data") or {}
    _check_profile_data(raw["profile"], data)
    settings = TrainSettings(
        batch_size=int(train.get("batch_size", DEFAULT_BATCH_SIZE)),
        lr=float(train.get("lr", DEFAULT_LR)),
        limit_batches=train.get("limit_batches"),
        checksums_verified=not (data.get("skip_checksum", False) or data.get("fake") is not None),
    )
    cfg = ExperimentConfig(
        profile=raw["profile"],
        seed=raw["seed"],
        paper_dir=_paper_dir(raw, base_dir),
        data_root=raw["data_root"],
        epochs=dict(raw["epochs"]),
        tables=tables,
        quick_datasets=dict(quick.get("datasets", {})),
        figures=figures,
        extensions=extensions,
        settings=settings,
        fake=data.get("fake"),
        archive_dir=data.get("archive_dir"),
        outputs={**default_outputs(tables, figures), **(raw.get("outputs") or {})},
    )
    _check_names(cfg)
    _check_outputs(cfg)
    from qsnn.search import parse_searches  # lazy: qsnn.search builds on this module

    return replace(cfg, searches=parse_searches(raw.get("search"), cfg))


def _paper_dir(raw: Mapping, base_dir: Path) -> Path:
    """The config's ``paper_dir`` (relative to ``base_dir``), or else the tables shipped with qsnn,
    so the workflow plans the same from any working directory (``snakemake --directory``)."""
    return base_dir / raw["paper_dir"] if "paper_dir" in raw else resources.paper_tables_dir()


def default_outputs(tables: tuple[TableSpec, ...], figures: tuple[FigureSpec, ...]) -> dict:
    """Without `outputs:`, render every configured table, Figs. 1-3 (they plot no table rows) and
    every configured Fig. 4-6, every hardware CSV and the report."""
    configured = {int(f.name[3:]) for f in figures}
    return {**ALL_OUTPUTS, "tables": sorted(spec.number for spec in tables), "figures": sorted({1, 2, 3} | configured)}


def _check_profile_data(profile: str, data: Mapping) -> None:
    """Fake data belongs to the rehearsal alone: anything else would present fakes as results."""
    if profile == "rehearsal" and data.get("fake") is None:
        raise ConfigError(
            "profile 'rehearsal' needs data.fake (e.g. data: {fake: {samples: 2}}): the rehearsal "
            "runs on fake data written by `qsnn data fake`"
        )
    if profile != "rehearsal" and data.get("fake") is not None:
        raise ConfigError(
            f"data.fake: only the 'rehearsal' profile may train on fake data (profile is "
            f"{profile!r}); remove data.fake or set profile: rehearsal"
        )
    if data.get("fake") is not None and data.get("archive_dir"):
        raise ConfigError("data.archive_dir: the rehearsal takes its archives from the fakes it writes; remove it")


def _check_outputs(cfg: ExperimentConfig) -> None:
    """A selected table must be in the plan, or `snakemake` would fail only at render time."""
    planned = {spec.number for spec in cfg.tables}
    for n in cfg.outputs["tables"]:
        if n not in planned:
            raise ConfigError(
                f"outputs.tables: Table {n} is selected but tables.table{n} is not configured; "
                f"add tables.table{n} or remove {n} from outputs.tables"
            )


def _wst_at(key: str, text: str) -> WST:
    """Parse W/S/T; non-integers (S=1.5) reach WST's range check so the message names W, S or T."""
    try:
        parts = [p.strip() for p in str(text).split("/")]
        if len(parts) == 3 and all(re.fullmatch(r"-?\d+(\.\d+)?", p) for p in parts):
            numbers = [int(p) if re.fullmatch(r"-?\d+", p) else float(p) for p in parts]
            return WST(*numbers)
        return parse_wst(text)
    except ValueError as err:
        raise ConfigError(
            f"{key}: {err}. Write W/S/T as three integers, e.g. '4/2/1' (W, S in 1..16, T >= 1)"
        ) from None


def _check_names(cfg: ExperimentConfig) -> None:
    """Every dataset and architecture named in the config must be registered."""
    for spec in cfg.tables:
        if spec.arch:
            check_arch(f"tables.table{spec.number}.arch", spec.arch)
        for i, name in enumerate(spec.datasets):
            check_dataset(f"tables.table{spec.number}.datasets[{i}]", name)
    for key, name in cfg.quick_datasets.items():
        check_dataset(f"quick.datasets.{key}", name)
        # A stand-in must be of the kind it stands for: its runs take the stand-in's input.
        if key not in ("static", "neuromorphic"):
            check_dataset("quick.datasets", key)
        kind = key if key in ("static", "neuromorphic") else dataset_kind(key)
        if dataset_kind(name) != kind:
            raise ConfigError(
                f"quick.datasets.{key}: stand-in {name!r} is {dataset_kind(name)} but {key} is "
                f"{kind}; pick a {kind} stand-in"
            )
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
        raise ConfigError(
            f"{key}: unknown architecture {name!r}; allowed values: {', '.join(known)} (see `qsnn archs`)"
        )


# --------------------------------------------------------------------------- expansion


def dataset_kind(name: str) -> str:
    from qsnn.data import dataset_info

    return dataset_info(name).kind


def trained_dataset(cfg: ExperimentConfig, paper_dataset: str) -> str:
    """The dataset a row is trained on: the paper's own, or its stand-in in the quick profile.

    ``quick.datasets`` maps a dataset kind (``static``, ``neuromorphic``) to a stand-in; a paper
    dataset's own key overrides its kind's (``dvs-gesture: motion-dvs``: the gesture rows need a
    stand-in whose classes are motions, the saccade sets keep ``digits-dvs``).
    """
    if not cfg.is_quick:
        return paper_dataset
    if paper_dataset in cfg.quick_datasets:
        return cfg.quick_datasets[paper_dataset]
    return cfg.quick_datasets[dataset_kind(paper_dataset)]


def trained_arch(cfg: ExperimentConfig, arch: str) -> str:
    """The architecture trained: the paper's own, or in the quick profile the tiny sibling the
    registry names for it (``stand_in=`` of its ``register``; :func:`qsnn.models.stand_in_of`)."""
    if not cfg.is_quick:
        return arch
    from qsnn.models import stand_in_of

    try:
        return stand_in_of(arch)
    except (ValueError, KeyError) as err:  # no stand-in registered, or an unknown architecture
        raise ConfigError(f"quick profile: {err}") from None


def epochs_for(cfg: ExperimentConfig, paper_dataset: str) -> int:
    """Paper Sec. 6.3: 310 epochs on ImageNet, 400 on the others (config ``epochs``)."""
    if paper_dataset == "imagenet" and "imagenet" in cfg.epochs:
        return cfg.epochs["imagenet"]
    return cfg.epochs[dataset_kind(paper_dataset)]


def make_run(cfg: ExperimentConfig, paper_dataset: str, arch: str, wst: WST, epochs: int | None = None) -> Run:
    return Run(
        trained_dataset(cfg, paper_dataset),
        trained_arch(cfg, arch),
        wst,
        epochs or epochs_for(cfg, paper_dataset),
        cfg.seed,
        cfg.settings,
    )


def read_paper_table(paper_dir: Path, number: int):
    """``data/paper/tableN.csv`` through the one loader (:func:`qsnn.paper_tables.read_table`): the
    columns the plan needs exist, row numbers are unique integers and W/S/T are integers. A corrupt
    file gets a ConfigError naming the file and the row, before any job runs."""
    from qsnn.paper_tables import PaperTableError, read_table_file

    path = Path(paper_dir) / f"table{number}.csv"
    if not path.exists():
        raise ConfigError(
            f"paper_dir: {path} is missing; the transcribed paper tables belong in {paper_dir}/table1..5.csv"
        )
    try:
        return read_table_file(path)
    except PaperTableError as err:
        raise ConfigError(str(err)) from None


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
        if table in f.tables
        and (not f.datasets or paper_dataset in f.datasets)
        and (not f.w_bits or wst.w_bits in f.w_bits)
    )


def table_entries(cfg: ExperimentConfig, spec: TableSpec) -> list[Entry]:
    frame = read_paper_table(cfg.paper_dir, spec.number)
    _check_table_selection(cfg, spec, frame)
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
            entries.append(
                Entry(
                    table=spec.number,
                    row=row,
                    group=str(rec.get("group", "")),
                    method=str(rec.get("method", "")),
                    source=source,
                    arch_label=str(rec.get("arch", "")),
                    arch=arch,
                    paper_dataset=paper_dataset,
                    wst=wst,
                    epochs=epochs_for(cfg, paper_dataset),
                    run=make_run(cfg, paper_dataset, arch, wst) if trained else None,
                    figures=_figures_for(cfg, spec.number, paper_dataset, wst),
                )
            )
    return entries


def _check_table_selection(cfg: ExperimentConfig, spec: TableSpec, frame) -> None:
    """Every selected row and dataset must select something: a selection that matches nothing is
    a typo, not a wish to train nothing (train: none says that)."""
    path = f"{cfg.paper_dir}/table{spec.number}.csv"
    rows = set(frame["row"])
    if isinstance(spec.train, tuple):
        unknown = [r for r in spec.train if r not in rows]
        if unknown:
            raise ConfigError(
                f"tables.table{spec.number}.train: row(s) {', '.join(map(str, unknown))} are not rows of "
                f"{path} (rows {min(rows)}-{max(rows)}); use row numbers from its 'row' column"
            )
    covered = {d for value in frame["dataset"] for d in re.split(r"[;,\s]+", str(value)) if d}
    for i, name in enumerate(spec.datasets):
        if covered and name not in covered:
            raise ConfigError(
                f"tables.table{spec.number}.datasets[{i}]: {name!r} matches no row of Table {spec.number} "
                f"(its rows are on: {', '.join(sorted(covered))})"
            )


def _check_figure_selections(cfg: ExperimentConfig, entries: list[Entry]) -> None:
    for fig in cfg.figures:
        if (fig.tables or fig.datasets or fig.w_bits) and not any(fig.name in e.figures for e in entries):
            raise ConfigError(
                f"figures.{fig.name}: selects no row (tables {list(fig.tables)}, datasets {list(fig.datasets)}"
                + (f", w_bits {list(fig.w_bits)}" if fig.w_bits else "")
                + "); name tables, datasets and weight bit-widths that the configured tables contain"
            )


def sweep_entries(cfg: ExperimentConfig) -> list[Entry]:
    """Figure-only points, e.g. Fig. 5's weight bit-width sweep (W varies, S/T fixed)."""
    entries = []
    for fig in cfg.figures:
        sweep = fig.weight_sweep
        if not sweep:
            continue
        for w in sweep["w_bits"]:
            wst = WST(w, sweep["s_bits"], sweep["T"])
            entries.append(
                Entry(
                    table=None,
                    row=None,
                    group="weight sweep",
                    method="Quantized (weight sweep)",
                    source="this paper",
                    arch_label=sweep["arch"],
                    arch=sweep["arch"],
                    paper_dataset=sweep["dataset"],
                    wst=wst,
                    epochs=epochs_for(cfg, sweep["dataset"]),
                    run=make_run(cfg, sweep["dataset"], sweep["arch"], wst),
                    figures=(fig.name,),
                )
            )
    return entries


def extension_entries(cfg: ExperimentConfig) -> list[Entry]:
    entries = []
    seen: dict[str, int] = {}
    for i, ext in enumerate(cfg.extensions):
        epochs = ext.epochs or epochs_for(cfg, ext.dataset)
        # Duplicates are judged on the full-scale experiment, not on the (possibly shared) quick run.
        full_id = Run(ext.dataset, ext.arch, ext.wst, epochs, cfg.seed, cfg.settings).run_id
        if full_id in seen:
            raise ConfigError(
                f"extensions[{i}]: duplicate run id {full_id!r} (same as extensions[{seen[full_id]}]); remove one of them"
            )
        seen[full_id] = i
        entries.append(
            Entry(
                table=None,
                row=None,
                group="extension",
                method="Extension (config)",
                source="extension",
                arch_label=ext.arch,
                arch=ext.arch,
                paper_dataset=ext.dataset,
                wst=ext.wst,
                epochs=epochs,
                run=make_run(cfg, ext.dataset, ext.arch, ext.wst, ext.epochs),
                figures=ext.figures,
            )
        )
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
    _check_figure_selections(cfg, table_rows)
    return Plan(cfg.profile, tuple(table_rows + sweep_entries(cfg) + extensions), cfg)


def plan_from_config(source: str | Path | Mapping, base_dir: Path | None = None) -> Plan:
    return expand(load_config(source, base_dir))
