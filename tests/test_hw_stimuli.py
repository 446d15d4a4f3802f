"""Hardware stimuli come from the checkpoint's own dataset (qsnn.data), not a private loader.

Tiny checkpoints of `qsnn train` (one epoch, one or two batches) on digits, on a
fake 3x32x32 CIFAR10 folder and on the digits-dvs event stand-in; the stimulus
path of `qsnn hw activity` (``layer_for``) runs up to the real layer, without
Verilator.
"""

from __future__ import annotations

import pickle
from pathlib import Path

import numpy as np
import pytest
import torch

from qsnn.data import build
from qsnn.hardware import rtl_activity
from qsnn.hardware.reference import dataset_samples, load_model, model_stimuli, quick_train
from qsnn.train import RuntimeOptions, TrainConfig, train
from qsnn.wst import WST

torch.set_num_threads(1)


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_fake_cifar10(root, per_batch=8, test=8)
    return root


def write_fake_cifar10(root: Path, per_batch: int, test: int) -> None:
    """The official python-batch layout with random images, marked prepared as `qsnn data prepare` would."""
    folder = root / "cifar10" / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for name, n in [(f"data_batch_{i}", per_batch) for i in range(1, 6)] + [("test_batch", test)]:
        batch = {
            "data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
            "labels": [int(v) for v in rng.integers(0, 10, n)],
        }
        with open(folder / name, "wb") as fh:
            pickle.dump(batch, fh)
    (root / "cifar10" / ".cifar-10-python.tar.gz.complete").write_text("verified\n")


def checkpoint(tmp_path_factory, data_root: Path, dataset: str, arch: str, wst: str, batch_size: int = 16) -> Path:
    out = tmp_path_factory.mktemp(dataset)
    config = TrainConfig(dataset=dataset, arch=arch, wst=wst, epochs=1, seed=3, batch_size=batch_size, limit_batches=1)
    train(config, RuntimeOptions(out=out, data_root=data_root, threads=1, progress=False))
    return out / "checkpoint.pt"


def stimulus_of(monkeypatch, wst: WST, ckpt: Path | None, data_root: Path, **cfg):
    """The layer ``qsnn hw activity`` measures at ``wst`` and the input batch it fed the model."""
    seen = []
    real_layer = rtl_activity.real_layer
    monkeypatch.setattr(
        rtl_activity, "real_layer", lambda model, x, *a, **k: seen.append(x) or real_layer(model, x, *a, **k)
    )
    config = rtl_activity.ActivityConfig(samples=3, max_rows=16, data_root=data_root, **cfg)
    layer, source = rtl_activity.layer_for(wst, config, ckpt, {})
    return layer, source, seen[0]


def rows_of(dataset) -> list[torch.Tensor]:
    return [dataset[i][0] for i in range(len(dataset))]


def assert_samples_of(x: torch.Tensor, samples: list[torch.Tensor]) -> None:
    """Every sample of the batch ``x`` (``[n, ...]``) is, bit for bit, a sample of the dataset."""
    for row in x:
        assert any(torch.equal(row, s) for s in samples), "a stimulus is not a sample of qsnn.data.build(...)"


def test_digits_checkpoint_gets_the_normalised_test_split(tmp_path_factory, data_root, monkeypatch):
    ckpt = checkpoint(tmp_path_factory, data_root, "digits", "cifarnet-tiny", "4/2/2", batch_size=32)
    layer, source, x = stimulus_of(monkeypatch, WST(2, 4, 1), ckpt, data_root)
    assert x.shape == (3, 1, 8, 8) and source == f"checkpoint {ckpt}"
    assert_samples_of(x, rows_of(build("digits", "test", 1, root=data_root)))
    assert x.min() < 0  # normalised with the train mean/std, unlike raw grey levels in [0, 1]
    assert layer.T == 1 and layer.spikes.shape[0] == 1  # rebuilt at the measured W/S/T


def test_cifar_checkpoint_runs_through_the_stimulus_path(tmp_path_factory, data_root, monkeypatch):
    ckpt = checkpoint(tmp_path_factory, data_root, "cifar10", "spikformer-tiny", "4/2/1", batch_size=8)
    layer, _, x = stimulus_of(monkeypatch, WST(4, 2, 1), ckpt, data_root)
    assert x.shape == (3, 3, 32, 32)
    assert_samples_of(x, rows_of(build("cifar10", "test", 1, root=data_root)))
    assert layer.spikes.shape[:2] == (1, 16) and layer.codes.shape[1] == layer.spikes.shape[2]


def test_event_checkpoint_is_framed_into_the_measured_T(tmp_path_factory, data_root, monkeypatch):
    ckpt = checkpoint(tmp_path_factory, data_root, "digits-dvs", "cifarnet-tiny", "4/2/2", batch_size=32)
    layer, _, x = stimulus_of(monkeypatch, WST(4, 1, 4), ckpt, data_root)
    assert x.shape == (4, 3, 2, 8, 8)  # [T, n, C, H, W]: the network's multi-step layout
    assert_samples_of(x.transpose(0, 1), rows_of(build("digits-dvs", "test", 4, root=data_root)))
    assert layer.T == 4 and layer.spikes.shape[0] == 4


def test_stand_in_uses_the_digits_dataset(data_root, monkeypatch):
    layer, source, x = stimulus_of(monkeypatch, WST(4, 2, 2), None, data_root, train_steps=2)
    assert "digits" in source and x.shape == (3, 1, 8, 8)
    assert_samples_of(x, rows_of(build("digits", "test", 2)))


def test_stimuli_for_a_model_of_another_dataset_name_the_fix(data_root):
    model = quick_train("cifarnet-tiny", WST(4, 2, 2), steps=1)  # 1x8x8
    with pytest.raises(ValueError, match="trained on"):
        model_stimuli(model, "cifar10", 2, root=data_root)


def test_dataset_samples_is_seeded_and_labelled(data_root):
    x1, y1 = dataset_samples("digits", "test", 1, 5, root=data_root, seed=4)
    x2, y2 = dataset_samples("digits", "test", 1, 5, root=data_root, seed=4)
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and y1.dtype == torch.int64
    with pytest.raises(ValueError, match="at least one"):
        dataset_samples("digits", "test", 1, 0)


def test_load_model_returns_the_checkpoint_config(tmp_path_factory, data_root):
    ckpt = checkpoint(tmp_path_factory, data_root, "digits", "sew-resnet-tiny", "2/2/1", batch_size=32)
    model, config = load_model(ckpt, WST(4, 1, 2))
    assert (config["dataset"], config["arch"], config["wst"]) == ("digits", "sew-resnet-tiny", "2/2/1")
    assert (model.wst.w_bits, model.wst.s_bits, model.T) == (4, 1, 2)
