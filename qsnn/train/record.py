"""The results record of one run, ``OUT/metrics.json`` (schema fixed in DESIGN.md).

Costs (params, MACs, SOPs, S-ACE) come from :func:`qsnn.metrics.cost_table` for
the model actually trained (a tiny sibling in the quick profile); NS-ACE uses the
non-zero input rates that :class:`qsnn.metrics.ActivityRecorder` measured on the
test split. These are operation counts, not energy.
"""

from __future__ import annotations

import json
import platform
import subprocess
from importlib import metadata
from pathlib import Path

from qsnn.train.checkpoint import atomic_write_text

METRICS_NAME = "metrics.json"
VERSIONED_PACKAGES = ("qsnn", "torch", "numpy", "pandas", "scikit-learn", "tonic")


def git_sha() -> str | None:
    """The commit of the checkout that holds the ``qsnn`` package, or ``None`` outside a git checkout."""
    here = Path(__file__).resolve().parent
    try:
        done = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    sha = done.stdout.strip()
    return sha if done.returncode == 0 and sha else None


def package_versions() -> dict[str, str | None]:
    versions: dict[str, str | None] = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def firing_rate_rows(neuron_table) -> list[dict]:
    """``ActivityRecorder.neuron_table()`` rows -> DESIGN.md ``firing_rates`` entries."""
    return [
        {
            "layer": str(row["layer"]),
            "s_bits": int(row["s_bits"]),
            "rate": float(row["firing_rate"]),
            "hist": [int(v) for v in row["hist"]],
        }
        for _, row in neuron_table.iterrows()
    ]


def build_record(
    *,
    config,
    input_shape: tuple[int, int, int],
    num_classes: int,
    top1: float,
    top5: float | None,
    totals: dict,
    firing_rates: list[dict],
    layer_input_rates: dict[str, float],
    wall_time_s: float,
    device: str,
    data_verification: str | None = None,
) -> dict:
    wst = config.parsed_wst
    run = {
        "dataset": config.dataset,
        "arch": config.arch,
        "wst": str(wst),
        "w_bits": wst.w_bits,
        "s_bits": wst.s_bits,
        "T": wst.T,
        "epochs": config.epochs,
        "seed": config.seed,
        "batch_size": config.batch_size,
        "lr": config.lr,
        "limit_batches": config.limit_batches,  # set: a capped run (rehearsal, smoke test), not a full one
        "input_shape": [int(v) for v in input_shape],
        "num_classes": int(num_classes),
    }
    return {
        "run": run,
        "top1": float(top1),
        "top5": None if top5 is None else float(top5),
        "params": int(totals["params"]),
        "macs": float(totals["macs"]),
        "sops": float(totals["sops"]),
        "s_ace": float(totals["s_ace"]),
        "ns_ace": float(totals["ns_ace"]),
        "firing_rates": firing_rates,
        "layer_input_rates": {str(k): float(v) for k, v in layer_input_rates.items()},
        "wall_time_s": float(wall_time_s),
        "git_sha": git_sha(),
        "versions": package_versions(),
        "seed": config.seed,
        "device": device,
        # verified | unverified (prepared with --skip-checksum) | offline | user-supplied
        "data_verification": data_verification,
    }


def write_record(out_dir: Path, record: dict) -> Path:
    path = Path(out_dir) / METRICS_NAME
    atomic_write_text(path, json.dumps(record, indent=2, allow_nan=False) + "\n")
    return path
