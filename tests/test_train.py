"""The training engine: record contents, determinism, kill-and-resume, NaN stop,
atomic checkpoints, evaluate. Tiny models, few batches, CPU, one thread."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from qsnn.cli import main as qsnn_main
from qsnn.train import (
    ConfigMismatchError,
    NonFiniteLossError,
    RuntimeOptions,
    TrainConfig,
    default_epochs,
    engine,
    evaluate_checkpoint,
    train,
)
from qsnn.train import checkpoint as ckpt_module

ARCH = "sew-resnet-tiny"
DESIGN_KEYS = {
    "run",
    "top1",
    "top5",
    "params",
    "macs",
    "sops",
    "s_ace",
    "ns_ace",
    "firing_rates",
    "layer_input_rates",
    "wall_time_s",
    "git_sha",
    "versions",
    "seed",
    "device",
    "compiled",
    "data_verification",
    "start",
}
RUN_KEYS = {
    "dataset",
    "arch",
    "wst",
    "w_bits",
    "s_bits",
    "T",
    "epochs",
    "seed",
    "batch_size",
    "lr",
    "limit_batches",
    "input_shape",
    "num_classes",
}


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


def config(**overrides) -> TrainConfig:
    base = dict(dataset="digits", arch=ARCH, wst="2/2/2", epochs=3, seed=7, batch_size=64, limit_batches=3)
    return TrainConfig(**{**base, **overrides})


def runtime(out: Path, data_root: Path) -> RuntimeOptions:
    return RuntimeOptions(out=out, data_root=data_root, threads=1, progress=False)


def read_log(out: Path) -> list[dict]:
    with open(out / "log.csv", newline="") as f:
        return list(csv.DictReader(f))


def without_time(record: dict) -> dict:
    """The result of a run, without how long it took or how its sessions started."""
    return {k: v for k, v in record.items() if k not in ("wall_time_s", "start")}


@pytest.fixture(scope="module")
def reference_run(tmp_path_factory, data_root) -> Path:
    """One uninterrupted 3-epoch run that several tests compare against."""
    out = tmp_path_factory.mktemp("reference")
    train(config(), runtime(out, data_root))
    return out


def test_metrics_json_follows_design(reference_run):
    record = json.loads((reference_run / "metrics.json").read_text())
    assert set(record) == DESIGN_KEYS
    assert set(record["run"]) == RUN_KEYS
    run = record["run"]
    assert (run["wst"], run["w_bits"], run["s_bits"], run["T"]) == ("2/2/2", 2, 2, 2)
    assert (run["dataset"], run["arch"], run["input_shape"], run["num_classes"]) == ("digits", ARCH, [1, 8, 8], 10)
    assert 0.0 <= record["top1"] <= 100.0 and record["top5"] is None
    assert record["params"] > 0 and record["sops"] > 0 and 0 < record["ns_ace"]
    assert record["firing_rates"], "every MultiBitLIF must report its rate"
    for row in record["firing_rates"]:
        assert row["s_bits"] == 2 and len(row["hist"]) == 2**2 and 0.0 <= row["rate"] <= 1.0
        assert row["rate"] == pytest.approx(1 - row["hist"][0] / sum(row["hist"]))
    assert record["layer_input_rates"] and all(0.0 <= r <= 1.0 for r in record["layer_input_rates"].values())
    assert (
        record["seed"] == 7 and record["device"].startswith("cpu") and record["versions"]["torch"] == torch.__version__
    )
    assert record["compiled"] is False
    log = read_log(reference_run)
    assert [int(r["epoch"]) for r in log] == [1, 2, 3]
    assert set(log[0]) == {"epoch", "train_loss", "train_acc", "test_acc", "lr", "seconds"}
    assert float(log[0]["lr"]) == pytest.approx(5e-4) and float(log[2]["lr"]) < float(log[1]["lr"]) < 5e-4  # cosine
    state = torch.load(reference_run / "checkpoint.pt", weights_only=True)
    assert state["epoch"] == 3 and state["config"] == config().to_dict()
    assert {"model", "optimizer", "scheduler", "scaler", "rng"} <= set(state)


def test_same_seed_gives_identical_results_and_other_seed_differs(reference_run, tmp_path, data_root):
    train(config(), runtime(tmp_path / "again", data_root))
    again = json.loads((tmp_path / "again" / "metrics.json").read_text())
    reference = json.loads((reference_run / "metrics.json").read_text())
    assert without_time(again) == without_time(reference)  # bitwise: JSON floats round-trip exactly
    assert [r["train_loss"] for r in read_log(tmp_path / "again")] == [r["train_loss"] for r in read_log(reference_run)]

    train(config(seed=8, epochs=1), runtime(tmp_path / "other", data_root))
    assert read_log(tmp_path / "other")[0]["train_loss"] != read_log(reference_run)[0]["train_loss"]


def test_interrupted_run_resumes_to_the_uninterrupted_result(reference_run, tmp_path, data_root):
    out = tmp_path / "interrupted"

    def crash_after_first_epoch(completed: int) -> None:
        if completed == 1:
            raise KeyboardInterrupt("simulated kill after epoch 1")

    with pytest.raises(KeyboardInterrupt):
        train(config(), runtime(out, data_root), after_epoch=crash_after_first_epoch)
    assert not (out / "metrics.json").exists()
    assert torch.load(out / "checkpoint.pt", weights_only=True)["epoch"] == 1
    with pytest.raises(ValueError, match="holds epoch 1 of 3"):
        evaluate_checkpoint(out / "checkpoint.pt", runtime(out, data_root))

    epochs_run = []
    train(config(), runtime(out, data_root), after_epoch=epochs_run.append)  # picks the checkpoint up automatically
    assert epochs_run == [2, 3], "the resumed session must not redo epoch 1"
    resumed = json.loads((out / "metrics.json").read_text())
    reference = json.loads((reference_run / "metrics.json").read_text())
    assert without_time(resumed) == without_time(reference)
    assert resumed["start"] == {"mode": "resumed", "from_epoch": 1} and reference["start"]["mode"] == "fresh"
    columns = ("epoch", "train_loss", "train_acc", "test_acc", "lr")
    assert [[r[c] for c in columns] for r in read_log(out)] == [
        [r[c] for c in columns] for r in read_log(reference_run)
    ]


def test_sigkilled_process_resumes_to_the_uninterrupted_result(tmp_path, data_root):
    def command(out: Path) -> list[str]:
        return [
            sys.executable,
            "-m",
            "qsnn.cli",
            "train",
            "--dataset",
            "digits",
            "--arch",
            ARCH,
            "--wst",
            "1/2/1",
            "--epochs",
            "6",
            "--batch-size",
            "32",
            "--limit-batches",
            "2",
            "--seed",
            "3",
            "--out",
            str(out),
            "--data-root",
            str(data_root),
            "--threads",
            "1",
            "--no-progress",
        ]

    # The uninterrupted reference runs in-process: same config and thread count, so bitwise the same.
    whole_config = config(wst="1/2/1", epochs=6, batch_size=32, limit_batches=2, seed=3)
    train(whole_config, runtime(tmp_path / "whole", data_root))
    killed = tmp_path / "killed"
    proc = subprocess.Popen(command(killed), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while not (killed / "log.csv").exists() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)  # log.csv appears right after epoch 1's checkpoint
    proc.kill()
    proc.wait()
    assert not (killed / "metrics.json").exists(), "the kill must land mid-run"
    done = torch.load(killed / "checkpoint.pt", weights_only=True)["epoch"]
    assert 1 <= done < 6

    resumed_run = subprocess.run(command(killed), check=True, capture_output=True, text=True)
    assert f"after epoch {done}/6" in resumed_run.stderr
    resumed = json.loads((killed / "metrics.json").read_text())
    whole = json.loads((tmp_path / "whole" / "metrics.json").read_text())
    assert without_time(resumed) == without_time(whole)


def test_resume_refuses_a_checkpoint_of_another_config(reference_run, tmp_path, data_root):
    out = tmp_path / "mismatch"
    out.mkdir()
    (out / "checkpoint.pt").write_bytes((reference_run / "checkpoint.pt").read_bytes())
    with pytest.raises(ConfigMismatchError, match=r"lr: checkpoint 0.0005 vs requested 0.001.*another --out"):
        train(config(lr=1e-3), runtime(out, data_root))
    assert not (out / "metrics.json").exists()


def test_nan_loss_stops_the_run_without_metrics(tmp_path, data_root):
    bundle = engine.load_data(config(), runtime(tmp_path, data_root))
    poisoned = torch.utils.data.TensorDataset(torch.full((8, 1, 8, 8), float("nan")), torch.zeros(8, dtype=torch.long))
    bundle.train = poisoned
    with pytest.raises(NonFiniteLossError, match=r"epoch 1, step 1.*lower learning rate"):
        train(config(), runtime(tmp_path / "nan", data_root), data=bundle)
    assert not (tmp_path / "nan" / "metrics.json").exists()


def test_nan_loss_via_cli_exits_nonzero(tmp_path, data_root, capsys, monkeypatch):
    real_forward = engine.F.cross_entropy
    monkeypatch.setattr(engine.F, "cross_entropy", lambda *a, **k: real_forward(*a, **k) * float("inf"))
    code = qsnn_main(
        [
            "train",
            "--dataset",
            "digits",
            "--arch",
            ARCH,
            "--wst",
            "1/1/1",
            "--epochs",
            "1",
            "--out",
            str(tmp_path / "run"),
            "--data-root",
            str(data_root),
            "--threads",
            "1",
            "--limit-batches",
            "1",
        ]
    )
    assert code != 0 and "--lr" in capsys.readouterr().err
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_checkpoint_write_is_atomic(reference_run, tmp_path, monkeypatch):
    target = tmp_path / "checkpoint.pt"
    target.write_bytes((reference_run / "checkpoint.pt").read_bytes())

    def dies_half_way(obj, path):
        Path(path).write_bytes(b"partial")
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(ckpt_module.torch, "save", dies_half_way)
    with pytest.raises(OSError, match="disk full"):
        ckpt_module.save_checkpoint(target, {"epoch": 99})
    assert torch.load(target, weights_only=True)["epoch"] == 3  # the old complete checkpoint survives
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.pt"]  # no temp file left behind


def test_evaluate_reproduces_the_record(reference_run, tmp_path, data_root, capsys):
    code = qsnn_main(
        [
            "evaluate",
            str(reference_run / "checkpoint.pt"),
            "--out",
            str(tmp_path),
            "--data-root",
            str(data_root),
            "--threads",
            "1",
        ]
    )
    assert code == 0 and "top1" in capsys.readouterr().out
    evaluated = json.loads((tmp_path / "metrics.json").read_text())
    reference = json.loads((reference_run / "metrics.json").read_text())
    assert without_time(evaluated) == without_time(reference)


def test_neuromorphic_batches_train_time_major(tmp_path, data_root):
    cfg = config(dataset="digits-dvs", wst="1/2/2", epochs=1, limit_batches=2)
    record = train(cfg, runtime(tmp_path, data_root))
    assert record["run"]["input_shape"] == [2, 8, 8] and record["run"]["T"] == 2
    x = torch.zeros(5, 2, 2, 8, 8)  # [B, T, C, H, W] from the default collate
    assert engine.to_steps(x).shape == (2, 5, 2, 8, 8)


def test_unknown_names_list_the_known_ones(tmp_path, data_root, capsys):
    args = ["--epochs", "1", "--out", str(tmp_path / "x"), "--data-root", str(data_root)]
    assert qsnn_main(["train", "--dataset", "digits", "--arch", "no-such-net", "--wst", "1/1/1", *args]) == 2
    assert "sew-resnet-tiny" in capsys.readouterr().err
    assert qsnn_main(["train", "--dataset", "no-such-set", "--arch", ARCH, "--wst", "1/1/1", *args]) == 2
    assert "digits-dvs" in capsys.readouterr().err
    assert not (tmp_path / "x" / "metrics.json").exists()


def test_config_defaults_and_validation():
    assert (
        default_epochs("imagenet") == 310 and default_epochs("cifar10") == 400 and default_epochs("dvs-gesture") == 400
    )
    cfg = TrainConfig(dataset="cifar10", arch="resnet-19", wst="4/2/1", epochs=400)
    assert (cfg.lr, cfg.batch_size) == (5e-4, 128)
    assert TrainConfig.from_dict(cfg.to_dict()) == cfg
    with pytest.raises(ValueError, match="epochs"):
        TrainConfig(dataset="digits", arch=ARCH, wst="1/1/1", epochs=0)
    with pytest.raises(ValueError):
        TrainConfig(dataset="digits", arch=ARCH, wst="1/1", epochs=1)


# --------------------------------------------------------------------------- per-step overhead


def test_a_late_non_finite_loss_names_its_step_and_stops_before_the_checkpoint(tmp_path, data_root, monkeypatch):
    """The NaN/inf flag is read back lazily (not every step), yet the error names the first bad step."""
    real_loss, calls = engine.F.cross_entropy, []

    def inf_from_third_step(*args, **kwargs):
        calls.append(1)
        return real_loss(*args, **kwargs) * (float("inf") if len(calls) >= 3 else 1.0)

    monkeypatch.setattr(engine.F, "cross_entropy", inf_from_third_step)
    with pytest.raises(NonFiniteLossError, match=r"became inf at epoch 1, step 3 \(lr "):
        train(config(limit_batches=None, batch_size=128), runtime(tmp_path / "late", data_root))
    assert not (tmp_path / "late" / "checkpoint.pt").exists() and not (tmp_path / "late" / "metrics.json").exists()


def crop_flip_split(n: int = 40):
    from qsnn.data.static import CropFlip, TensorImages

    gen = torch.Generator().manual_seed(5)
    images = torch.rand(n, 3, 8, 8, generator=gen)
    return TensorImages(images, torch.arange(n) % 10, (0.5, 0.4, 0.3), (0.2, 0.2, 0.2), augment=CropFlip(padding=2))


@pytest.mark.parametrize("augment", [False, True])
def test_in_memory_batches_are_the_dataloaders_bit_for_bit(augment, data_root, tmp_path, monkeypatch):
    """Indexing a split held in memory yields what the DataLoader yields: same order, same augmentation draws."""
    dataset = crop_flip_split() if augment else engine.load_data(config(), runtime(tmp_path, data_root)).train
    cfg, ctx, options = config(batch_size=16), engine.DistContext(), runtime(tmp_path, data_root)
    fast = engine.make_loader(dataset, cfg, ctx, options, train=True)
    with monkeypatch.context() as patch:
        patch.setattr(engine, "tensor_split", lambda dataset: None)  # what the engine built before
        slow = engine.make_loader(dataset, cfg, ctx, options, train=True)
    assert isinstance(fast, engine.TensorBatches) and isinstance(slow, torch.utils.data.DataLoader)
    assert len(fast) == len(slow)
    for epoch in (0, 1):
        batches, rng = {}, {}
        for name, loader in (("fast", fast), ("slow", slow)):
            engine.set_epoch(loader, cfg.seed, epoch)
            torch.manual_seed(11)  # augmentation draws from the global RNG, in the main process
            batches[name] = [(x.clone(), y.clone()) for x, y in loader]
            rng[name] = torch.get_rng_state()
        assert len(batches["fast"]) == len(batches["slow"])
        for (xf, yf), (xs, ys) in zip(batches["fast"], batches["slow"]):
            assert torch.equal(xf, xs) and torch.equal(yf, ys) and xf.dtype == xs.dtype and yf.dtype == ys.dtype
        assert torch.equal(rng["fast"], rng["slow"])  # the same number of draws: later draws agree too


def test_evaluation_batch_size_changes_no_result(reference_run, data_root, tmp_path):
    """The larger evaluation batch measures what batches of the training size measured."""
    from qsnn.metrics import ActivityRecorder

    state = torch.load(reference_run / "checkpoint.pt", weights_only=True)
    data = engine.load_data(config(limit_batches=None), runtime(tmp_path, data_root))
    model = engine.build_model(config(), data)
    model.load_state_dict(state["model"])
    ctx, cfg = engine.DistContext(), config(limit_batches=None)
    big = engine.make_loader(data.test, cfg, ctx, runtime(tmp_path, data_root), train=False)
    small = engine.TensorBatches(engine.tensor_split(data.test), batch_size=cfg.batch_size)
    assert big.batch_size > small.batch_size
    measured = []
    for loader in (big, small):
        with ActivityRecorder(model) as recorder:
            accuracy = engine.evaluate_accuracy(model, loader, cfg, ctx)
            measured.append((accuracy, recorder.layer_input_rates(), recorder.neuron_table().to_dict()))
    assert measured[0] == measured[1]
    # limit_batches counts training-size batches of the test split, whatever the evaluation batch
    assert engine.eval_samples(big, config(limit_batches=2)) == 2 * 64


def test_one_line_per_epoch_when_stdout_is_not_a_terminal(tmp_path, data_root, capsys):
    code = qsnn_main(
        [
            "train",
            "--dataset",
            "digits",
            "--arch",
            ARCH,
            "--wst",
            "1/1/1",
            "--epochs",
            "2",
            "--out",
            str(tmp_path / "run"),
            "--data-root",
            str(data_root),
            "--threads",
            "1",
            "--limit-batches",
            "1",
        ]
    )
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert [line.split("  ")[0] for line in out if line.startswith("epoch ")] == ["epoch 1/2", "epoch 2/2"]
    assert all(
        " loss " in line and "train acc" in line and "test acc" in line and line.endswith(" s")
        for line in out
        if line.startswith("epoch ")
    )
