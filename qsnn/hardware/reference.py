"""Integer software reference of the RTL, built on :func:`qsnn.functional.lif_integer`.

The RTL is checked bit-exact against these functions:

* :func:`reference_layer`: ``P_sum[t] = codes @ spikes[t]`` (integer weight codes
  of :func:`qsnn.quant.weight_codes`, integer spike levels), then the
  multi-bit LIF neuron in integer form over the T steps of every sample;
* :func:`reference_pipeline`: three such layers chained, the levels of one
  layer being the input spikes of the next (same T);
* :func:`layer_codes`: the integer weight codes of a trained ``QLinear`` /
  ``QConv2d`` (flattened to ``[out, in]``);
* :func:`real_layer`: a trained layer's codes plus the real spike levels that
  entered it (forward hook), from :func:`load_model` (a ``qsnn train``
  checkpoint) or :func:`quick_train` (a few seconds on the ``digits`` stand-in).

Stimuli (:func:`dataset_samples`, :func:`model_stimuli`) come from ``qsnn.data.build``
with the dataset the weights were trained on, so a layer sees the inputs of its own
training: the same split, normalisation and event framing as ``qsnn train``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn

from qsnn.functional import lif_integer
from qsnn.layers import SYNAPTIC_LAYERS, QConv2d, QLinear
from qsnn.quant import initial_step, weight_codes
from qsnn.wst import WST


def reference_layer(
    codes: np.ndarray,
    spikes: np.ndarray,
    v_th: int,
    s_bits: int,
    leak_shift: int = 1,
    reset: str = "hard",
    v_reset: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Levels ``[T, N, out]``, membrane ``[T, N, out]`` and P_sum ``[T, N, out]`` of one layer.

    ``codes`` is ``[out, in]`` (W=1: +-1), ``spikes`` is ``[T, N, in]`` of levels.
    """
    codes = np.asarray(codes, dtype=np.int64)
    spikes = np.asarray(spikes, dtype=np.int64)
    psum = spikes @ codes.T  # exact in int64
    levels, membrane = lif_integer(
        torch.from_numpy(psum), v_th, s_bits, leak_shift=leak_shift, reset=reset, v_reset=v_reset
    )
    return levels.numpy(), membrane.numpy(), psum


def reference_pipeline(
    codes_list: list[np.ndarray], spikes: np.ndarray, v_th: int, s_bits: int, leak_shift: int = 1, reset: str = "hard"
) -> np.ndarray:
    """Levels ``[T, N, out]`` of the last of chained layers."""
    x = np.asarray(spikes, dtype=np.int64)
    for codes in codes_list:
        x, _, _ = reference_layer(codes, x, v_th, s_bits, leak_shift, reset)
    return x


def layer_codes(layer: torch.nn.Module) -> np.ndarray:
    """Integer weight codes ``[out, in]`` of a quantized ``QLinear`` / ``QConv2d`` (W < 16)."""
    quantizer = layer.quantizer
    codes, _scale = weight_codes(
        layer.weight.detach(), quantizer.bits, quantizer.step.detach() if quantizer.step is not None else None
    )
    return codes.reshape(codes.shape[0], -1).numpy()


# ----------------------------------------------------------------------------- real layers
@dataclass
class RealLayer:
    """A trained layer's integer weights and the real spike levels that entered it."""

    name: str
    codes: np.ndarray  # [out, in] integer weight codes
    spikes: np.ndarray  # [T, N, in] integer spike levels (N = samples x output positions)
    v_th: int  # integer threshold: the neuron's v_th in units of the weight scale
    w_bits: int
    s_bits: int
    T: int


STAND_IN_DATASET = "digits"  # what quick_train trains on: offline (sklearn), 1x8x8, 10 classes


def dataset_samples(
    dataset: str, split: str, T: int, n: int, root: Path = Path("data"), seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples of ``qsnn.data.build(dataset, split, T, root)`` as one model batch, and labels.

    A seeded random subset, transformed exactly as the trainer sees it. Static sets give
    ``[n, C, H, W]``; neuromorphic samples are ``[T, C, H, W]`` and stack to the network's
    multi-step ``[T, n, C, H, W]`` (the trainer's own ``to_steps``).
    """
    from qsnn.data import build

    if n < 1:
        raise ValueError(f"n={n}: ask for at least one sample")
    data = build(dataset, split, T, root=Path(root))
    order = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n]
    return stack_samples(data, order)


def stack_samples(data, indices: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The samples ``indices`` of a ``qsnn.data`` dataset, batched as a model input (see :func:`dataset_samples`)."""
    from qsnn.train.engine import to_steps

    xs, ys = zip(*(data[int(i)] for i in indices))
    return to_steps(torch.stack(xs)), torch.as_tensor(ys, dtype=torch.int64)


def model_stimuli(model: nn.Module, dataset: str, n: int, root: Path = Path("data"), seed: int = 0) -> torch.Tensor:
    """``n`` test inputs of ``dataset`` for ``model``: event sets are framed into the model's T steps.

    The T of a rebuilt model (``load_model(ckpt, wst)``) may differ from the trained one;
    static images ignore T, and the same recordings binned into ``model.T`` frames are
    what that network takes.
    """
    x, _ = dataset_samples(dataset, "test", model.T, n, root=root, seed=seed)
    expected = tuple(model.input_shape)
    if tuple(x.shape[-3:]) != expected:
        raise ValueError(
            f"{dataset} samples are {tuple(x.shape[-3:])} but the model takes {expected}: "
            "use the dataset the checkpoint was trained on (its config's 'dataset')"
        )
    return x


def digits_batch(n: int, seed: int = 0, train: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` samples of the ``digits`` stand-in (qsnn.data: its split and normalisation) and labels.

    Kept for callers that feed the stand-in by hand; new code uses :func:`dataset_samples`.
    """
    return dataset_samples(STAND_IN_DATASET, "train" if train else "test", 1, n, seed=seed)


def quick_train(
    arch: str, wst: WST, steps: int = 60, batch: int = 64, seed: int = 0, data_root: Path | None = None
) -> nn.Module:
    """A tiny model trained on the ``digits`` stand-in for a few seconds (stand-in for a quick-profile run).

    Used when no ``checkpoint.pt`` of ``qsnn train`` is given: the weights are then real trained
    weights of a *stand-in* run, labelled as such by callers. The training is the library's own
    (:func:`qsnn.train.engine.train`: the data, optimizer, schedule and checkpoint of ``qsnn train``,
    at lr 5e-3), run in a scratch folder and read back through the one checkpoint loader; the
    hardware code keeps no training loop of its own. ``steps`` optimizer steps, rounded up to
    whole epochs of the ``digits`` training split (1437 images).
    """
    import math
    import tempfile

    from qsnn.data import build
    from qsnn.train.config import TrainConfig
    from qsnn.train.engine import RuntimeOptions, train

    per_epoch = math.ceil(len(build(STAND_IN_DATASET, "train", wst.T, root=data_root or Path("data"))) / batch)
    epochs = math.ceil(steps / per_epoch)
    config = TrainConfig(
        dataset=STAND_IN_DATASET,
        arch=arch,
        wst=str(wst),
        epochs=epochs,
        seed=seed,
        batch_size=batch,
        lr=5e-3,
        limit_batches=steps if epochs == 1 else None,
    )
    with tempfile.TemporaryDirectory(prefix="qsnn-quick-train-") as scratch:
        out = Path(scratch) / "run"
        runtime = RuntimeOptions(out=out, data_root=data_root or Path("data"), progress=False, epoch_lines=False)
        train(config, runtime)
        model, _ = load_model(out / "checkpoint.pt")
    return model.eval()


def load_model(checkpoint: Path, wst: WST | None = None) -> tuple[nn.Module, dict]:
    """A model from a ``qsnn train`` checkpoint, optionally rebuilt at another W/S/T.

    Returns the model and the checkpoint's config (``dataset``, ``arch``, ``wst``, ...).
    """
    from qsnn.train.checkpoint import load_checkpoint
    from qsnn.wst import parse_wst

    state = load_checkpoint(Path(checkpoint))
    if "model" not in state or "config" not in state:
        raise ValueError(f"{checkpoint} is not a qsnn checkpoint (needs 'model' and 'config'); train with `qsnn train`")
    config = state["config"]
    trained = parse_wst(config["wst"])
    return rebuild(config["arch"], state["model"], trained, wst or trained, config["dataset"]), config


def rebuild(arch: str, state: dict, trained: WST, wst: WST, dataset: str) -> nn.Module:
    """``arch`` for ``dataset`` at ``wst``, holding the parameters ``state`` trained at ``trained``.

    When W differs, the weight quantizer's LSQ step is re-initialized from the trained
    weights (its step is W-specific), so the weights are re-quantized, not retrained.
    """
    from qsnn.data import dataset_info
    from qsnn.models import create

    info = dataset_info(dataset)
    model = create(arch, wst.w_bits, wst.s_bits, wst.T, num_classes=info.num_classes, input_shape=info.input_shape)
    same_w = wst.w_bits == trained.w_bits
    model.load_state_dict({k: v for k, v in state.items() if same_w or not k.endswith("quantizer.step")}, strict=False)
    if not same_w:
        for module in model.modules():
            if (
                isinstance(module, SYNAPTIC_LAYERS)
                and getattr(module, "quantizer", None) is not None
                and module.quantizer.step is not None
            ):
                module.quantizer.step.data = initial_step(module.weight, module.quantizer.bits).reshape(1)
    return model.eval()


def spiking_layers(model: nn.Module) -> list[str]:
    """Names of the QConv2d / QLinear layers fed by spikes (``in_bits`` set)."""
    return [
        n
        for n, m in model.named_modules()
        if isinstance(m, (QConv2d, QLinear)) and m.in_bits is not None and m.w_bits < 16
    ]


def capture_input(model: nn.Module, layer_name: str, x: torch.Tensor) -> torch.Tensor:
    """The input tensor of ``layer_name`` during ``model(x)`` (a forward hook)."""
    layer = dict(model.named_modules())[layer_name]
    seen: list[torch.Tensor] = []
    handle = layer.register_forward_hook(lambda _m, inp, _out: seen.append(inp[0].detach()))
    try:
        with torch.no_grad():
            model(x)
    finally:
        handle.remove()
    if not seen:
        raise ValueError(f"layer {layer_name} was not called in the forward pass")
    return seen[0]


def real_layer(
    model: nn.Module, x: torch.Tensor, layer_name: str | None = None, max_rows: int = 256, seed: int = 0
) -> RealLayer:
    """Integer weights and real input spikes of one spiking layer of a trained model.

    A convolution becomes a matrix product over its patches (``unfold``):
    every (sample, output position) is one row N of the tile's input, with the
    same ``[out, C*kh*kw]`` weights. At most ``max_rows`` rows are kept (a
    seeded random subset). The integer threshold is :func:`integer_threshold`.
    """
    name = layer_name or spiking_layers(model)[0]
    layer = dict(model.named_modules())[name]
    if not isinstance(layer, (QConv2d, QLinear)) or layer.in_bits is None:
        raise ValueError(
            f"layer {name!r} is not a QConv2d/QLinear fed by spikes; choose one of {spiking_layers(model)}"
        )
    inp = capture_input(model, name, x)  # [T, B, ...]
    T = inp.shape[0]
    if isinstance(layer, QConv2d):
        cols = nn.functional.unfold(inp.flatten(0, 1), layer.kernel_size, layer.dilation, layer.padding, layer.stride)
        rows = cols.transpose(1, 2).reshape(T, -1, cols.shape[1])  # [T, B*L, C*kh*kw]
    else:
        rows = inp.reshape(T, -1, inp.shape[-1])
    levels = torch.round(rows)  # spikes are k * v_th with v_th = 1.0
    if not torch.allclose(levels, rows, atol=1e-4):
        raise ValueError(f"the input of {name} is not integer spike levels k * 1.0 (a neuron with v_th != 1?)")
    if rows.shape[1] > max_rows:
        keep = torch.randperm(rows.shape[1], generator=torch.Generator().manual_seed(seed))[:max_rows]
        levels = levels[:, keep]
    codes = layer_codes(layer)
    _, scale = weight_codes(
        layer.weight.detach(),
        layer.quantizer.bits,
        layer.quantizer.step.detach() if layer.quantizer.step is not None else None,
    )
    v_th = integer_threshold(model, name, float(scale))
    return RealLayer(name, codes, levels.to(torch.int64).numpy(), v_th, layer.w_bits, layer.in_bits, T)


def integer_threshold(model: nn.Module, layer_name: str, scale: float) -> int:
    """The neuron threshold 1.0 in integer P_sum units of ``layer_name``.

    With the BatchNorm that follows the layer folded in, channel c fires when
    ``P_sum >= ((1 - beta) * sigma / gamma + mu) / scale``. The tile has one
    threshold and no bias, so this is the median over channels (clamped to
    >= 1): an approximation of the trained network's firing, exact only for
    the weights and input spikes. Without a following BatchNorm: ``1 / scale``.
    """
    names = [n for n, _ in model.named_modules()]
    modules = dict(model.named_modules())
    for n in names[names.index(layer_name) + 1 :]:
        bn = modules[n]
        if isinstance(bn, nn.modules.batchnorm._BatchNorm) and bn.running_var is not None:
            sigma = torch.sqrt(bn.running_var + bn.eps)
            gamma = bn.weight.detach() if bn.affine else torch.ones_like(sigma)
            beta = bn.bias.detach() if bn.affine else torch.zeros_like(sigma)
            gamma = torch.where(gamma.abs() < 1e-6, torch.full_like(gamma, 1e-6), gamma)
            per_channel = ((1.0 - beta) * sigma / gamma + bn.running_mean) / scale
            per_channel = per_channel[per_channel > 0]
            return max(1, int(round(float(per_channel.median())))) if len(per_channel) else 1
        if isinstance(bn, SYNAPTIC_LAYERS):
            break
    return max(1, int(round(1.0 / scale)))
