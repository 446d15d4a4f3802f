"""Fuzz the front doors by hand: bad workflow configs and bad `qsnn` calls (issue 10).

    python benchmarks/fuzz_inputs.py [--cli-only | --config-only]

Each bad config is validated exactly as the workflow does before any job runs
(``qsnn.experiments.load_config`` + expansion); each bad CLI call runs ``qsnn`` as a subprocess.
A case passes when it is rejected with a one-line message (no traceback) that names the key or
argument, and, for the CLI, exits with status 2. Prints one line per failing case and the totals.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import tempfile
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def base_config() -> dict:
    raw = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    raw["paper_dir"] = str(ROOT / "data" / "paper")
    return raw


def setting(dotted: str, value):
    def edit(raw):
        node = raw
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value

    return dotted.split(".")[-1] if "[" not in dotted else dotted, edit


def dropping(dotted: str):
    def edit(raw):
        node = raw
        *parents, leaf = dotted.split(".")
        for part in parents:
            node = node[part]
        del node[leaf]

    return dotted.split(".")[-1], edit


CONFIG_CASES = [
    setting("profile", "fast"),
    setting("profile", 3),
    dropping("profile"),
    dropping("seed"),
    dropping("epochs"),
    dropping("tables"),
    setting("seed", -1),
    setting("seed", 0.0),
    setting("seed", 2**40),
    setting("seed", "zero"),
    setting("seed", True),
    setting("epochs.static", 0),
    setting("epochs.static", 20.0),
    setting("epochs.static", "20"),
    setting("epochs.neuromorphic", -3),
    setting("epochs.typo", 3),
    dropping("epochs.static"),
    setting("train.lr", 0),
    setting("train.lr", -1e-3),
    setting("train.lr", float("nan")),
    setting("train.lr", float("inf")),
    setting("train.lr", "fast"),
    setting("train.batch_size", 0),
    setting("train.batch_size", 64.0),
    setting("train.batch_size", "big"),
    setting("train.limit_batches", 0),
    setting("train.momentum", 0.9),
    setting("train", "{lr: 0.001}"),
    setting("tables", {}),
    setting("tables.table9", {"datasets": ["cifar10"], "train": "all"}),
    setting("tables.table2.train", [999]),
    setting("tables.table2.train", [1, 1]),
    setting("tables.table2.train", "some"),
    setting("tables.table2.train", []),
    setting("tables.table2.datasets", []),
    setting("tables.table2.datasets", ["cifar10", "cifar10"]),
    setting("tables.table2.datasets", ["cifar-10"]),
    setting("tables.table1.datasets", ["dvs-gesture"]),
    setting("tables.table4.arch", "resnet-1000"),
    setting("tables.table2.extra", 1),
    setting("figures.fig6.w_bits", [99]),
    setting("figures.fig6.w_bits", [9]),
    setting("figures.fig6.datasets", ["mnist"]),
    setting("figures.fig9", {"tables": [2]}),
    setting("figures.fig4.tables", [7]),
    setting("figures.fig5.weight_sweep.w_bits", [0]),
    setting("figures.fig5.weight_sweep.arch", "nope"),
    setting("figures.fig5.weight_sweep.dataset", "nope"),
    setting("extensions", [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "0/1/1"}]),
    setting("extensions", [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "4/1.5/1"}]),
    setting("extensions", [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "4/2"}]),
    setting("extensions", [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "17/1/1"}]),
    setting("extensions", [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "4/1/0"}]),
    setting("extensions", [{"dataset": "mnist", "arch": "spikformer-4-384", "wst": "4/1/1"}]),
    setting("extensions", [{"dataset": "cifar100", "arch": "vgg", "wst": "4/1/1"}]),
    setting("extensions", [{"dataset": "cifar100", "wst": "4/1/1"}]),
    setting("extensions", [{"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "4/4/1"}]),
    setting(
        "extensions",
        [
            {"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "3/3/3"},
            {"dataset": "cifar100", "arch": "spikformer-4-384", "wst": "3/3/3"},
        ],
    ),
    setting("extensions", "3/3/3"),
    setting("quick.datasets.static", "cifar10-dvs"),
    setting("quick.datasets.static", "nope"),
    setting("quick.archs", {"spikformer": "spikformer-tiny"}),
    dropping("quick"),
    setting("data.fake", {"samples": 2}),
    setting("data.archive_dir", 5),
    setting("outputs.tables", [9]),
    setting("outputs.hardware", ["gpu"]),
    setting("resume", "yes"),
    setting("paper_dir", "/no/such/folder"),
    setting("unknown_key", 1),
]


def run_config_cases() -> tuple[int, list[str]]:
    from qsnn.experiments import ConfigError, plan_from_config

    failures = []
    for key, edit in CONFIG_CASES:
        raw = copy.deepcopy(base_config())
        edit(raw)
        try:
            plan_from_config(raw)
        except ConfigError as err:
            message = str(err)
            if "Traceback" in message:
                failures.append(f"config {key}: traceback in message")
            continue
        except Exception as err:  # noqa: BLE001 (the point: anything else is a finding)
            failures.append(f"config {key}: raw {type(err).__name__}: {err}")
            continue
        failures.append(f"config {key}: accepted")
    return len(CONFIG_CASES), failures


def cli_cases(tmp: Path) -> list[list[str]]:
    a_file = tmp / "a_file"
    a_file.write_text("x")
    bad_ckpt = tmp / "bad.pt"
    bad_ckpt.write_bytes(b"not a checkpoint")
    train = ["train", "--dataset", "digits", "--arch", "spikformer-tiny", "--wst", "1/1/1", "--epochs", "1"]
    out = ["--out", str(tmp / "o")]
    return [
        [],
        ["nosuch"],
        ["train"],
        train,
        [*train, *out, "--wst", "0/1/1"],
        [*train, *out, "--wst", "4/2"],
        [*train, *out, "--wst", "a/b/c"],
        [*train, *out, "--epochs", "0"],
        [*train, *out, "--epochs", "x"],
        [*train, *out, "--lr", "inf"],
        [*train, *out, "--lr", "-1"],
        [*train, *out, "--lr", "nan"],
        [*train, *out, "--batch-size", "0"],
        [*train, *out, "--batch-size", "1.5"],
        [*train, *out, "--threads", "0"],
        [*train, *out, "--num-workers", "-2"],
        [*train, *out, "--seed", "-1"],
        [*train, *out, "--seed", str(2**50)],
        [*train, *out, "--weight-decay", "-1"],
        [*train, *out, "--limit-batches", "0"],
        [*train, "--out", str(a_file)],
        [*train, *out, "--data-root", str(a_file)],
        ["train", "--dataset", "nope", "--arch", "spikformer-tiny", "--wst", "1/1/1", *out],
        ["train", "--dataset", "digits", "--arch", "nope", "--wst", "1/1/1", *out],
        ["train", "--dataset", "cifar10", "--arch", "spikformer-tiny", "--wst", "1/1/1", *out, "--data-root", str(tmp)],
        [*train, *out, "--resume", "--retrain"],
        ["evaluate", str(tmp / "missing.pt")],
        ["evaluate", str(tmp)],
        ["evaluate", str(bad_ckpt)],
        ["evaluate", str(bad_ckpt), "--out", str(a_file)],
        ["cost"],
        ["cost", "--arch", "nope", "--wst", "1/1/1"],
        ["cost", "--arch", "spikformer-4-384", "--wst", "1/1"],
        ["cost", "--arch", "spikformer-4-384", "--wst", "0/1/1"],
        ["cost", "--arch", "spikformer-4-384", "--wst", "1/1/1", "--input", "3x0x32"],
        ["data", "prepare", "nope"],
        ["data", "prepare", "cifar10", "--archive-dir", str(a_file)],
        ["data", "prepare", "cifar10", "--root", str(tmp / "d"), "--archive-dir", str(tmp)],
        ["data", "fake", "digits", "--out", str(tmp / "f")],
        ["data", "fake", "nope", "--out", str(tmp / "f")],
        ["data", "fake", "cifar10", "--out", str(tmp / "f"), "--samples", "0"],
        ["report", "validate-config", str(a_file)],
        ["report", "validate-config", str(tmp / "missing.yaml")],
        ["report", "reproduction", "--experiments", str(a_file), "--out", str(tmp / "r.md")],
        ["report", "timing", str(a_file), "--out", str(tmp / "t.csv")],
        ["render", "table", "9", "--experiments", str(a_file), "--profile", "quick", "--out", str(tmp / "t.tex")],
        ["render", "table", "2", "--experiments", str(a_file), "--profile", "quick", "--out", str(tmp / "t.tex")],
        ["render", "table", "2", "--experiments", str(a_file), "--profile", "slow", "--out", str(tmp / "t.tex")],
        ["archs", "--family", "nope"],
    ]


def run_cli_cases() -> tuple[int, list[str]]:
    failures = []
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        cases = cli_cases(tmp)
        for argv in cases:
            done = subprocess.run(
                [sys.executable, "-m", "qsnn.cli", *argv], capture_output=True, text=True, cwd=tmp, timeout=300
            )
            err = done.stderr.strip()
            label = "qsnn " + " ".join(argv)[:90]
            if done.returncode != 2:
                failures.append(f"{label}: exit {done.returncode}")
            elif "Traceback" in err or len(err.splitlines()) != 1:
                failures.append(f"{label}: {len(err.splitlines())} lines on stderr")
    return len(cases), failures


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli-only", action="store_true")
    ap.add_argument("--config-only", action="store_true")
    args = ap.parse_args()
    total_failures = 0
    for name, runner, skip in (
        ("configs", run_config_cases, args.cli_only),
        ("CLI calls", run_cli_cases, args.config_only),
    ):
        if skip:
            continue
        count, failures = runner()
        total_failures += len(failures)
        for line in failures:
            print("  FAIL", line)
        print(f"{name}: {count - len(failures)} of {count} rejected with a clear one-line message")
    return 1 if total_failures else 0


if __name__ == "__main__":
    sys.exit(main())
