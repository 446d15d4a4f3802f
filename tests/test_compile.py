"""``qsnn train --compile``: the neuron's time loop and every tiny architecture trace into one graph,
and compiled training follows the eager loss curve.

Tracing checks use ``torch._dynamo.explain`` and the ``aot_eager`` backend (dynamo + AOTAutograd,
forward and backward, without inductor's code generation: seconds). One run goes through
inductor itself (C++ on CPU, about a minute to compile on 2 cores), marked slow.
"""

from __future__ import annotations

import csv
import functools
import json
from pathlib import Path

import pytest
import torch

from qsnn.cli import main as qsnn_main
from qsnn.models import create, list_archs
from qsnn.neurons import MultiBitLIF
from qsnn.train import RuntimeOptions, TrainConfig, engine, train

torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def fresh_dynamo():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


@pytest.fixture(scope="module")
def data_root(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("data")


@pytest.mark.parametrize("s_bits", [1, 4, 16])
@pytest.mark.parametrize("reset", ["hard", "soft"])
def test_neuron_time_loop_is_one_graph(s_bits, reset):
    neuron = MultiBitLIF(s_bits=s_bits, reset=reset)
    x = (torch.randn(6, 4, 8, 5) * 2).requires_grad_()
    explained = torch._dynamo.explain(neuron)(x)
    assert (explained.graph_count, explained.graph_break_count) == (1, 0), explained.break_reasons
    # fullgraph: any break raises; aot_eager also traces the hand-written backward
    compiled = torch.compile(neuron, backend="aot_eager", fullgraph=True)
    grad = torch.rand(x.shape)
    (got,) = torch.autograd.grad(compiled(x), x, grad)
    (expected,) = torch.autograd.grad(neuron(x), x, grad)
    assert torch.equal(compiled(x), neuron(x)) and torch.allclose(got, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("wst", ["1/1/2", "2/4/1", "4/16/2"])
@pytest.mark.parametrize("arch", list_archs(tiny=True))
def test_every_tiny_architecture_is_one_graph(arch, wst):
    w, s, T = (int(v) for v in wst.split("/"))
    model = create(arch, w, s, T, num_classes=10, input_shape=(2, 8, 8))
    explained = torch._dynamo.explain(model)(torch.randn(T, 3, 2, 8, 8))
    assert (explained.graph_count, explained.graph_break_count) == (1, 0), explained.break_reasons


def losses(out: Path) -> list[float]:
    with open(out / "log.csv", newline="") as f:
        return [float(row["train_loss"]) for row in csv.DictReader(f)]


def config(arch: str, wst: str, **kw) -> TrainConfig:
    return TrainConfig(
        **{**dict(dataset="digits", arch=arch, wst=wst, epochs=2, seed=1, batch_size=32, limit_batches=2), **kw}
    )


def runtime(out: Path, data_root: Path, compile: bool) -> RuntimeOptions:
    return RuntimeOptions(out=out, data_root=data_root, threads=1, progress=False, compile=compile)


# one W/S/T each (binary and multi-bit spikes both covered); the one-graph test above covers the rest
@pytest.mark.parametrize("arch,wst", list(zip(list_archs(tiny=True), ["1/1/2", "2/4/1"] * 4)))
def test_compiled_training_traces_whole_steps(arch, wst, tmp_path, data_root, monkeypatch):
    """The engine's compiled path on every tiny architecture: full graphs (no break), the eager results.

    ``aot_eager`` runs the captured graphs op by op, so the curve must match the eager one closely.
    """
    monkeypatch.setattr(engine.torch, "compile", functools.partial(torch.compile, backend="aot_eager", fullgraph=True))
    eager = train(config(arch, wst), runtime(tmp_path / "eager", data_root, False))
    compiled = train(config(arch, wst), runtime(tmp_path / "compiled", data_root, True))
    assert compiled["compiled"] is True and eager["compiled"] is False
    assert losses(tmp_path / "compiled") == pytest.approx(losses(tmp_path / "eager"), rel=1e-5)
    assert compiled["run"] == eager["run"]


def test_compile_is_a_runtime_option_a_resume_may_change(tmp_path, data_root, monkeypatch):
    """A compiled session's checkpoint (the bare network's weights) resumes in an eager session, and the reverse."""
    monkeypatch.setattr(engine.torch, "compile", functools.partial(torch.compile, backend="aot_eager", fullgraph=True))
    cfg = config("sew-resnet-tiny", "2/2/2", epochs=3)

    def stop_after_first(completed: int) -> None:
        if completed == 1:
            raise KeyboardInterrupt

    reference = train(cfg, runtime(tmp_path / "eager", data_root, False))
    with pytest.raises(KeyboardInterrupt):
        train(cfg, runtime(tmp_path / "mixed", data_root, True), after_epoch=stop_after_first)
    resumed = train(cfg, runtime(tmp_path / "mixed", data_root, False))
    assert resumed["start"]["mode"] == "resumed" and resumed["compiled"] is False
    assert losses(tmp_path / "mixed") == pytest.approx(losses(tmp_path / "eager"), rel=1e-5)
    assert resumed["top1"] == pytest.approx(reference["top1"])


@pytest.mark.slow
def test_inductor_training_follows_the_eager_loss_curve(tmp_path, data_root):
    """Real ``torch.compile`` (inductor, C++ on CPU) through the CLI: the eager loss curve, ``"compiled": true``."""
    args = [
        "train",
        "--dataset",
        "digits",
        "--arch",
        "spikformer-tiny",
        "--wst",
        "1/4/2",
        "--epochs",
        "2",
        "--batch-size",
        "32",
        "--limit-batches",
        "3",
        "--seed",
        "1",
        "--data-root",
        str(data_root),
        "--threads",
        "1",
    ]
    assert qsnn_main([*args, "--out", str(tmp_path / "eager")]) == 0
    assert qsnn_main([*args, "--out", str(tmp_path / "compiled"), "--compile"]) == 0
    assert losses(tmp_path / "compiled") == pytest.approx(losses(tmp_path / "eager"), rel=1e-4)
    record = json.loads((tmp_path / "compiled" / "metrics.json").read_text())
    assert record["compiled"] is True
