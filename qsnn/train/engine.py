"""The training engine behind ``qsnn train`` and ``qsnn evaluate``.

One run: build the registered architecture at the requested W/S/T for the
dataset's input shape and classes, train it with AdamW + per-step cosine
annealing on the cross-entropy of the time-averaged output (the network's
``forward`` already averages over T), checkpoint every epoch, then measure the
test split once more with an :class:`qsnn.metrics.ActivityRecorder` and write
``OUT/metrics.json`` last.

Reproducibility: the seed fixes Python, NumPy and torch, the model
initialisation, the per-epoch shuffle (``DistributedSampler`` seeded with the run
seed and ``set_epoch``, also used on one process) and the DataLoader workers.
On CPU ``torch.use_deterministic_algorithms`` is on, so a run is bitwise
repeatable for a fixed thread count, and a resumed run continues exactly where
the checkpoint left off (model, optimizer, scheduler, scaler and RNG states).

Per-step overhead (it dominates the quick profile's tiny models): a split that already sits in
memory as tensors (:class:`qsnn.data.static.TensorImages`, the emulated event sets, a frame
cache that fits in memory) is batched by indexing (:class:`TensorBatches`) instead of a
DataLoader's per-sample fetch and collate, when ``num_workers`` is 0: the same sampler order,
the same augmentation calls in the same order, so the same bits. The loss is checked for
NaN/inf on the device and read back every ``NONFINITE_CHECK_EVERY`` steps and at the end of
each epoch (not every step: each read waits for the GPU). Evaluation batches are larger (up to
``EVAL_BATCH_ELEMENTS`` input elements); on CPU that changes no output of the tiny models (tested:
accuracy and activity, bit for bit), and ``limit_batches`` still counts training-size batches.

``RuntimeOptions.compile`` runs training and the per-epoch evaluation through
``torch.compile`` (the neuron's time loop traces into one graph, see
:mod:`qsnn.functional`); it is a runtime option like the thread count: the run's identity,
its checkpoints and its record are those of the eager run, except ``"compiled": true``. The
final measurement stays eager (its activity hooks would split the graph).

GPU: float16 autocast with a ``GradScaler`` when CUDA is present; single-node
multi-GPU through ``torchrun`` (``WORLD_SIZE > 1`` -> NCCL process group,
``DistributedDataParallel``, a ``DistributedSampler`` per rank; the batch size is
per process; only rank 0 evaluates and writes files).
"""

from __future__ import annotations

import csv
import io
import os
import random
import sys
import time
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, Dataset
from torch.utils.data.distributed import DistributedSampler
from tqdm.auto import tqdm

from qsnn.train.checkpoint import (
    CHECKPOINT_NAME,
    atomic_write_text,
    capture_rng_state,
    load_checkpoint,
    remove_orphan_temps,
    restore_rng_state,
    save_checkpoint,
)
from qsnn.train.config import TrainConfig
from qsnn.train.record import METRICS_NAME, build_record, firing_rate_rows, write_record

LOG_NAME = "log.csv"
# Written after metrics.json: the run finished. A checkpoint beside it without metrics.json means
# someone removed the record on purpose (e.g. `snakemake -f`): that asks for a new run, not a
# re-measurement of old weights.
COMPLETE_MARKER = ".complete"
START_MODES = ("auto", "resume", "retrain")
LOG_COLUMNS = ("epoch", "train_loss", "train_acc", "test_acc", "lr", "seconds")


NONFINITE_CHECK_EVERY = 50  # steps between reads of the NaN/inf flag (one host sync each)
EVAL_BATCH_ELEMENTS = 1 << 22  # input elements per evaluation batch (16 MiB of float32), at least the train batch


class NonFiniteLossError(RuntimeError):
    """The loss became NaN or infinite; the run stops without writing metrics.json."""


@dataclass(frozen=True)
class RuntimeOptions:
    """Settings that do not change a run's result (so a resume may change them)."""

    out: Path
    data_root: Path = Path("data")
    num_workers: int = 0
    threads: int | None = None
    download: bool = False
    progress: bool | None = None  # None: a bar only when stderr is a terminal
    # What to do with a checkpoint already in ``out`` (see ``train``): "auto", "resume" or "retrain".
    start: str = "auto"
    compile: bool = False  # torch.compile the training (and per-epoch evaluation) forward
    # One line per epoch on stdout (epoch, loss, accuracies, seconds), for logs; None: when stdout is not a terminal.
    epoch_lines: bool | None = None


@dataclass
class DataBundle:
    """Both splits of a dataset and what the model needs to know about them."""

    train: Dataset
    test: Dataset
    input_shape: tuple[int, int, int]
    num_classes: int


@dataclass(frozen=True)
class DistContext:
    rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def amp(self) -> bool:
        return self.device.type == "cuda"

    def describe(self) -> str:
        if self.device.type != "cuda":
            return f"cpu ({torch.get_num_threads()} threads)"
        return f"cuda ({torch.cuda.get_device_name(self.device)}) x{self.world_size}, amp float16"


# --------------------------------------------------------------------------- setup


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)  # also seeds every CUDA device


def make_deterministic() -> None:
    # cuBLAS needs a fixed workspace to be deterministic; must be set before its first use.
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    # The switch torch.use_deterministic_algorithms flips, without the inductor import it also does
    # (1.5 s per run, measured: a fifth of a tiny quick-profile run). A compiled run imports inductor
    # anyway and sets its deterministic flag in qsnn.train.engine's compile path.
    torch._C._set_deterministic_algorithms(True, warn_only=True)
    # Deterministic mode also fills every new tensor with NaN in case an op reads memory it did
    # not write: ~10 % of a tiny model's step (measured), and no op of ours does (the same-seed
    # and resume tests compare records bit for bit).
    torch.utils.deterministic.fill_uninitialized_memory = False
    torch.backends.cudnn.benchmark = False


def setup_distributed() -> DistContext:
    """One process per GPU under torchrun; a plain single process otherwise."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size > 1:
        if not dist.is_initialized():
            dist.init_process_group(backend="nccl" if torch.cuda.is_available() else "gloo")
        local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)
            device = torch.device("cuda", local_rank)
        else:
            device = torch.device("cpu")
        return DistContext(dist.get_rank(), world_size, device)
    return DistContext(0, 1, torch.device("cuda" if torch.cuda.is_available() else "cpu"))


def load_data(config: TrainConfig, runtime: RuntimeOptions) -> DataBundle:
    """Both splits from the dataset registry, framed for the run's T."""
    from qsnn.data import build, dataset_info  # unknown names raise UnknownDatasetError listing the known ones

    info = dataset_info(config.dataset)
    T = config.parsed_wst.T
    kw = dict(T=T, root=Path(runtime.data_root), download=runtime.download)
    train = build(config.dataset, "train", **kw)
    test = build(config.dataset, "test", **kw)
    return DataBundle(train, test, tuple(info.input_shape), int(info.num_classes))


def build_model(config: TrainConfig, data: DataBundle) -> nn.Module:
    from qsnn.models import create  # unknown names raise UnknownArchitectureError listing the known ones

    wst = config.parsed_wst
    return create(
        config.arch, wst.w_bits, wst.s_bits, wst.T, num_classes=data.num_classes, input_shape=data.input_shape
    )


def _seed_worker(worker_id: int) -> None:
    # torch seeds each worker from the loader's generator; derive NumPy's and Python's from it.
    seed = torch.initial_seed() % 2**32
    np.random.seed(seed)
    random.seed(seed)


# --------------------------------------------------------------------------- splits held in memory


@dataclass
class TensorSplit:
    """A split as tensors: what ``dataset[i]`` returns is ``(augment(inputs[i]) or inputs[i], labels[i])``."""

    inputs: torch.Tensor
    labels: torch.Tensor  # int64, as the default collate makes of Python ints
    augment: Callable[[torch.Tensor], torch.Tensor] | None = None


IN_MEMORY_MAX_BYTES = 1 << 30  # a frame cache larger than this stays memory-mapped behind a DataLoader


def _loaded_class(module: str, name: str):
    """A class of an already imported module (or None): checking a dataset's type must not import anything."""
    return getattr(sys.modules.get(module), name, None)


def tensor_split(dataset: Dataset) -> TensorSplit | None:
    """``dataset`` as tensors when its items are slices of data in memory (or a deterministic function of it).

    Known types only: anything else (or a frame cache over ``IN_MEMORY_MAX_BYTES``) returns None
    and goes through a DataLoader.
    """
    kind = type(dataset)
    if kind is _loaded_class("qsnn.data.static", "TensorImages"):
        return TensorSplit(dataset.images, dataset.labels.long(), dataset.augment)
    if kind is _loaded_class("qsnn.data.motion_dvs", "MotionDVS"):
        return TensorSplit(dataset.frames, torch.as_tensor(dataset.labels, dtype=torch.int64))
    if kind is _loaded_class("qsnn.data.digits_dvs", "DigitsDVS"):
        # Binning events into frames is a pure function of the events: do it once, not every epoch.
        frames = torch.stack([dataset[i][0] for i in range(len(dataset))]) if len(dataset) else None
        return None if frames is None else TensorSplit(frames, torch.as_tensor(dataset.labels, dtype=torch.int64))
    if kind is _loaded_class("qsnn.data.neuromorphic", "CachedFrameDataset"):
        frames = dataset._array()
        if frames.size * 4 > IN_MEMORY_MAX_BYTES:
            return None
        return TensorSplit(
            torch.from_numpy(np.asarray(frames, dtype=np.float32)), torch.as_tensor(dataset.labels, dtype=torch.int64)
        )
    if kind is torch.utils.data.TensorDataset and len(dataset.tensors) == 2 and dataset.tensors[1].dim() == 1:
        return TensorSplit(*dataset.tensors)
    return None


class TensorBatches:
    """The batches a DataLoader (``num_workers=0``, no drop_last) yields for a :class:`TensorSplit`, by indexing.

    Same sampler, same order, same augmentation calls in the same order on the same RNG, so
    the same bits; without the per-sample fetch, the Python-int labels and the collate.
    """

    def __init__(self, split: TensorSplit, batch_size: int, sampler=None):
        self.split, self.batch_size, self.sampler = split, batch_size, sampler
        self.generator = torch.Generator()  # seeded by set_epoch like a DataLoader's (no workers use it)

    def _size(self) -> int:
        return len(self.sampler) if self.sampler is not None else len(self.split.labels)

    def __len__(self) -> int:
        return -(-self._size() // self.batch_size)

    def __iter__(self):
        split, n = self.split, self._size()
        order = torch.as_tensor(list(self.sampler), dtype=torch.int64) if self.sampler is not None else torch.arange(n)
        for start in range(0, n, self.batch_size):
            index = order[start : start + self.batch_size]
            if split.augment is None:
                x = split.inputs.index_select(0, index)
            else:  # one call per sample in order, as the DataLoader's fetch makes them
                x = torch.stack([split.augment(split.inputs[i]) for i in index.tolist()])
            yield x, split.labels.index_select(0, index)


def eval_batch_size(dataset: Dataset, config: TrainConfig) -> int:
    """A larger batch for evaluation (no activations are kept): up to ``EVAL_BATCH_ELEMENTS`` input elements."""
    if len(dataset) == 0:
        return config.batch_size
    sample = dataset[0][0]
    per_sample = sample.numel() * (1 if sample.dim() == 4 else config.parsed_wst.T)  # static images repeat over T
    return max(config.batch_size, min(len(dataset), EVAL_BATCH_ELEMENTS // max(1, per_sample)))


def make_loader(dataset: Dataset, config: TrainConfig, ctx: DistContext, runtime: RuntimeOptions, train: bool):
    """Batches whose order depends only on (seed, epoch): call ``set_epoch`` before each epoch.

    A :class:`TensorBatches` when the split is in memory and ``num_workers`` is 0, a DataLoader otherwise.
    """
    sampler = None
    if train:
        sampler = DistributedSampler(
            dataset, num_replicas=ctx.world_size, rank=ctx.rank, shuffle=True, seed=config.seed
        )
    batch_size = config.batch_size if train else eval_batch_size(dataset, config)
    split = tensor_split(dataset) if runtime.num_workers == 0 else None
    if split is not None:
        return TensorBatches(split, batch_size, sampler)
    return DataLoader(
        dataset,
        batch_size=batch_size,
        sampler=sampler,
        shuffle=False,
        num_workers=runtime.num_workers,
        worker_init_fn=_seed_worker,
        generator=torch.Generator(),
        pin_memory=ctx.device.type == "cuda",
        persistent_workers=False,
    )


def set_epoch(loader: DataLoader | TensorBatches, seed: int, epoch: int) -> None:
    if isinstance(loader.sampler, DistributedSampler):
        loader.sampler.set_epoch(epoch)
    loader.generator.manual_seed(seed * 100_003 + epoch)  # worker seeds, independent of the global RNG


def batches_per_epoch(loader: DataLoader | TensorBatches, config: TrainConfig) -> int:
    n = len(loader)
    return n if config.limit_batches is None else min(n, config.limit_batches)


def eval_samples(loader: DataLoader | TensorBatches, config: TrainConfig) -> int:
    """How many test samples an evaluation reads: ``limit_batches`` counts batches of the *training* batch size."""
    n = len(loader.sampler) if loader.sampler is not None else len(loader.split.labels)  # a DataLoader always has one
    return n if config.limit_batches is None else min(n, config.limit_batches * config.batch_size)


def to_steps(x: torch.Tensor) -> torch.Tensor:
    """Event batches arrive ``[B, T, C, H, W]`` from the default collate; the network wants ``[T, B, ...]``."""
    return x.transpose(0, 1) if x.dim() == 5 else x


# --------------------------------------------------------------------------- loops


class NonFiniteWatch:
    """Remembers, on the device, the first step whose loss was NaN or infinite; read back only by :meth:`check`.

    Steps after a non-finite loss still run until the next check (their results are thrown
    away: the error is raised before any checkpoint), which saves a host sync per step.
    """

    def __init__(self, device: torch.device):
        self.first_step = torch.full((), -1, dtype=torch.int64, device=device)
        self.value = torch.zeros((), dtype=torch.float32, device=device)
        self.lrs: list[float] = []

    def observe(self, loss: torch.Tensor, step: int, lr: float) -> None:
        new = ~torch.isfinite(loss.detach()) & (self.first_step < 0)
        self.first_step = torch.where(new, step, self.first_step)
        self.value = torch.where(new, loss.detach().float(), self.value)
        self.lrs.append(lr)

    def check(self, ctx: DistContext, config: TrainConfig, epoch: int) -> None:
        """Raise :class:`NonFiniteLossError` if any rank saw a non-finite loss (every rank calls this at the same steps)."""
        flag = (self.first_step >= 0).to(torch.int32)
        if ctx.world_size > 1:
            dist.all_reduce(flag, op=dist.ReduceOp.MAX)  # all ranks stop together instead of hanging in DDP
        if not flag.item():
            return
        step = int(self.first_step)
        where = (
            f"became {float(self.value)} at epoch {epoch + 1}, step {step + 1} (lr {self.lrs[step]:.3g})"
            if step >= 0
            else f"became non-finite on another rank in epoch {epoch + 1}"
        )
        raise NonFiniteLossError(
            f"the training loss {where}; no metrics.json was written. "
            f"Try a lower learning rate, e.g. --lr {config.lr / 10:g}."
        )


def train_one_epoch(model, loader, optimizer, scheduler, scaler, config, ctx, epoch, progress) -> tuple[float, float]:
    model.train()
    steps = batches_per_epoch(loader, config)
    loss_sum = torch.zeros((), dtype=torch.float64, device=ctx.device)
    correct = torch.zeros((), dtype=torch.int64, device=ctx.device)
    seen = torch.zeros((), dtype=torch.int64, device=ctx.device)
    watch = NonFiniteWatch(ctx.device)
    bar = tqdm(total=steps, desc=f"epoch {epoch + 1}/{config.epochs}", leave=False, disable=not progress)
    try:
        for step, (x, y) in enumerate(islice(loader, steps)):
            x = to_steps(x.to(ctx.device, non_blocking=True))
            y = y.to(ctx.device, non_blocking=True)
            with torch.autocast(ctx.device.type, dtype=torch.float16, enabled=ctx.amp):
                logits = model(x)
            loss = F.cross_entropy(logits.float(), y)
            watch.observe(loss, step, optimizer.param_groups[0]["lr"])
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            scheduler.step()
            loss_sum += loss.detach().double() * y.numel()
            correct += (logits.detach().argmax(1) == y).sum()
            seen += y.numel()
            if (step + 1) % NONFINITE_CHECK_EVERY == 0:
                watch.check(ctx, config, epoch)
            if progress:  # the bar's loss is a host sync: only when someone watches it
                bar.update(1)
                bar.set_postfix(loss=f"{loss.item():.4f}", refresh=False)
        watch.check(ctx, config, epoch)
    finally:
        bar.close()
    totals = torch.stack([loss_sum, correct.double(), seen.double()])
    if ctx.world_size > 1:
        dist.all_reduce(totals)
    loss_total, correct_total, seen_total = totals.tolist()
    return loss_total / seen_total, 100.0 * correct_total / seen_total


@torch.no_grad()
def evaluate_accuracy(model, loader, config, ctx, topk: tuple[int, ...] = (1,)) -> dict[int, float]:
    """Top-k accuracy in percent on ``loader`` (its first ``limit_batches`` training-size batches' worth of samples)."""
    model.eval()
    hits = torch.zeros(len(topk), dtype=torch.int64, device=ctx.device)
    remaining = total = eval_samples(loader, config)
    for x, y in loader:
        if remaining <= 0:
            break
        x, y = x[:remaining], y[:remaining]
        remaining -= y.numel()
        x = to_steps(x.to(ctx.device, non_blocking=True))
        y = y.to(ctx.device, non_blocking=True)
        with torch.autocast(ctx.device.type, dtype=torch.float16, enabled=ctx.amp):
            logits = model(x).float()
        ranked = logits.topk(max(topk), dim=1).indices
        hits += torch.stack([(ranked[:, :k] == y[:, None]).any(1).sum() for k in topk])
    return {k: 100.0 * int(h) / total for k, h in zip(topk, hits.tolist())}


# --------------------------------------------------------------------------- files


def write_log(out: Path, history: list[dict]) -> None:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=LOG_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(history)
    atomic_write_text(out / LOG_NAME, buf.getvalue())


def _unwrap(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


# --------------------------------------------------------------------------- the record


def measure_record(
    model, data: DataBundle, config: TrainConfig, ctx: DistContext, runtime, compiled: bool = False
) -> dict:
    """Top-1 (top-5 on ImageNet), firing rates and costs of ``model`` on the test split.

    ``wall_time_s`` is left at 0; the caller sets it once the measurement is done. ``compiled``:
    whether this session trained through ``torch.compile`` (recorded next to ``device``).
    """
    from qsnn.metrics import ActivityRecorder, cost_table

    model = _unwrap(model)
    loader = make_loader(data.test, config, ctx, runtime, train=False)
    topk = (1, 5) if config.dataset == "imagenet" else (1,)
    with ActivityRecorder(model) as recorder:
        accuracy = evaluate_accuracy(model, loader, config, ctx, topk)
        input_rates = recorder.layer_input_rates()
        neurons = recorder.neuron_table()
    report = cost_table(model, input_shape=data.input_shape, firing_rates=input_rates)
    record = build_record(
        config=config,
        input_shape=data.input_shape,
        num_classes=data.num_classes,
        top1=accuracy[1],
        top5=accuracy.get(5),
        totals=report.totals,
        firing_rates=firing_rate_rows(neurons),
        layer_input_rates=input_rates,
        wall_time_s=0.0,
        device=ctx.describe(),
        data_verification=_data_verification(config.dataset, runtime.data_root),
    )
    keys = list(record)
    keys.insert(keys.index("device") + 1, "compiled")
    return {key: compiled if key == "compiled" else record[key] for key in keys}


def _data_verification(dataset: str, root: Path) -> str | None:
    from qsnn.data.registry import UnknownDatasetError, verification_state

    try:
        return verification_state(dataset, Path(root))
    except UnknownDatasetError:
        return None


# --------------------------------------------------------------------------- entry points


def _prepare_process(runtime: RuntimeOptions, seed: int) -> DistContext:
    if runtime.threads is not None:
        torch.set_num_threads(runtime.threads)
    make_deterministic()
    ctx = setup_distributed()
    seed_everything(seed)
    return ctx


class RunCompleteError(ValueError):
    """``out`` already holds a finished run; training it again must be asked for."""


def _start_state(out: Path, config: TrainConfig, mode: str) -> tuple[dict | None, dict]:
    """The checkpoint to continue from (or None) and how this session starts, for metrics.json.

    ``auto``: continue an interrupted run; retrain from scratch when a finished run's record was
    removed (a forced rerun); refuse when the finished run's record is still there. ``resume``:
    always continue from the checkpoint (re-measure a finished run). ``retrain``: always start afresh.
    """
    if mode not in START_MODES:
        raise ValueError(f"start mode {mode!r}: use one of {', '.join(START_MODES)}")
    remove_orphan_temps(out)
    path, finished = out / CHECKPOINT_NAME, (out / COMPLETE_MARKER).exists()
    if not path.exists():
        return None, {"mode": "fresh", "from_epoch": 0}
    if mode == "auto" and finished and (out / METRICS_NAME).exists():
        raise RunCompleteError(
            f"{out} already holds a finished run ({METRICS_NAME}); pass --retrain to train it "
            "again from scratch, or --resume to re-measure the trained weights"
        )
    if mode == "retrain" or (mode == "auto" and finished):
        print(f"retraining from scratch: {path} belongs to a finished run whose record was removed", file=sys.stderr)
        for name in (CHECKPOINT_NAME, LOG_NAME, COMPLETE_MARKER):
            (out / name).unlink(missing_ok=True)
        return None, {"mode": "retrained", "from_epoch": 0}
    state = load_checkpoint(path)
    config.check_resumable_from(TrainConfig.from_dict(state["config"]), str(path))
    return state, {"mode": "resumed", "from_epoch": int(state["epoch"])}


@dataclass
class TrainingState:
    """Everything a training loop mutates, and everything a checkpoint must hold."""

    model: nn.Module  # the bare network (checkpointed, measured)
    train_model: nn.Module  # the same network, DDP-wrapped when distributed, compiled with --compile
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    scaler: torch.amp.GradScaler
    epoch: int = 0  # completed epochs
    history: list[dict] = field(default_factory=list)
    prior_seconds: float = 0.0  # training time of earlier (interrupted) sessions
    eval_model: nn.Module | None = None  # what the per-epoch test accuracy runs (the compiled model with --compile)

    def to_checkpoint(self, config: TrainConfig, seconds: float) -> dict:
        return {
            "config": config.to_dict(),
            "epoch": self.epoch,
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": capture_rng_state(),
            "history": self.history,
            "train_seconds": seconds,
        }

    def restore(self, checkpoint: dict) -> None:
        load_weights(self.model, checkpoint["model"], Path("checkpoint"))
        self.optimizer.load_state_dict(checkpoint["optimizer"])
        self.scheduler.load_state_dict(checkpoint["scheduler"])
        self.scaler.load_state_dict(checkpoint["scaler"])
        restore_rng_state(checkpoint["rng"])
        self.epoch, self.history = checkpoint["epoch"], list(checkpoint["history"])
        self.prior_seconds = float(checkpoint["train_seconds"])


def _new_state(model: nn.Module, config: TrainConfig, ctx: DistContext, steps_per_epoch: int) -> TrainingState:
    """AdamW with a cosine from ``lr`` to 0 over every optimizer step of the run."""
    train_model = model
    if ctx.world_size > 1:
        train_model = nn.parallel.DistributedDataParallel(model, device_ids=[ctx.device.index] if ctx.amp else None)
    optimizer = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=config.epochs * steps_per_epoch, eta_min=0.0
    )
    scaler = torch.amp.GradScaler(ctx.device.type, enabled=ctx.amp)
    return TrainingState(model, train_model, optimizer, scheduler, scaler)


def _run_epoch(
    state: TrainingState,
    loaders,
    config: TrainConfig,
    ctx: DistContext,
    out: Path,
    progress: bool,
    session_start: float,
    epoch_lines: bool = False,
) -> None:
    """Train one epoch, measure test top-1, then checkpoint and log (rank 0)."""
    train_loader, test_loader = loaders
    epoch_start = time.perf_counter()
    lr = state.optimizer.param_groups[0]["lr"]
    set_epoch(train_loader, config.seed, state.epoch)
    train_loss, train_acc = train_one_epoch(
        state.train_model,
        train_loader,
        state.optimizer,
        state.scheduler,
        state.scaler,
        config,
        ctx,
        state.epoch,
        progress,
    )
    eval_model = state.eval_model if state.eval_model is not None else state.model
    test_acc = evaluate_accuracy(eval_model, test_loader, config, ctx)[1] if ctx.is_main else float("nan")
    state.epoch += 1
    state.history.append(
        {
            "epoch": state.epoch,
            "train_loss": train_loss,
            "train_acc": train_acc,
            "test_acc": test_acc,
            "lr": lr,
            "seconds": time.perf_counter() - epoch_start,
        }
    )
    if epoch_lines:
        row = state.history[-1]
        print(
            f"epoch {row['epoch']}/{config.epochs}  loss {train_loss:.4f}  train acc {train_acc:.2f}%  "
            f"test acc {test_acc:.2f}%  {row['seconds']:.1f} s",
            flush=True,
        )
    if ctx.is_main:
        seconds = state.prior_seconds + time.perf_counter() - session_start
        save_checkpoint(out / CHECKPOINT_NAME, state.to_checkpoint(config, seconds))
        write_log(out, state.history)  # after the checkpoint: the log never runs ahead of it
    if ctx.world_size > 1:
        dist.barrier()


def train(
    config: TrainConfig,
    runtime: RuntimeOptions,
    *,
    data: DataBundle | None = None,
    after_epoch: Callable[[int], None] | None = None,
) -> dict | None:
    """Train (or resume) one run and write ``checkpoint.pt``, ``log.csv`` and, last, ``metrics.json``.

    ``data`` overrides the dataset registry (for callers that build their own
    splits); ``after_epoch(completed_epochs)`` runs after each checkpoint (tests
    use it to interrupt a run). Returns the metrics record on rank 0, ``None`` on other ranks.
    """
    started = time.perf_counter()
    out = Path(runtime.out)
    check_output_folder(out)
    ctx = _prepare_process(runtime, config.seed)
    checkpoint, start = _start_state(out, config, runtime.start)
    data = data or load_data(config, runtime)
    model = build_model(config, data).to(ctx.device)
    loaders = (
        make_loader(data.train, config, ctx, runtime, train=True),
        make_loader(data.test, config, ctx, runtime, train=False),
    )
    state = _new_state(model, config, ctx, batches_per_epoch(loaders[0], config))
    if runtime.compile:
        # After DDP wrapping (DDP's optimizer splits the graph at bucket boundaries); evaluation on
        # rank 0 uses the same compiled network when there is no wrapper.
        torch.use_deterministic_algorithms(True, warn_only=True)  # also inductor's own deterministic flag
        state.train_model = torch.compile(state.train_model)
        state.eval_model = state.train_model if ctx.world_size == 1 else torch.compile(model)
    if checkpoint is not None:
        state.restore(checkpoint)
        if ctx.is_main:
            print(f"resuming {out / CHECKPOINT_NAME} after epoch {state.epoch}/{config.epochs}", file=sys.stderr)
    if ctx.is_main and state.epoch < config.epochs:
        (out / METRICS_NAME).unlink(missing_ok=True)  # a stale record must not outlive a new run

    progress = ctx.is_main and (sys.stderr.isatty() if runtime.progress is None else runtime.progress)
    epoch_lines = ctx.is_main and (not sys.stdout.isatty() if runtime.epoch_lines is None else runtime.epoch_lines)
    session_start = time.perf_counter()
    while state.epoch < config.epochs:
        _run_epoch(state, loaders, config, ctx, out, progress, session_start, epoch_lines)
        if after_epoch is not None:
            after_epoch(state.epoch)

    record = None
    if ctx.is_main:
        record = measure_record(model, data, config, ctx, runtime, compiled=runtime.compile)
        # Earlier sessions' training time plus all of this session (setup, training, final evaluation).
        record["wall_time_s"] = state.prior_seconds + time.perf_counter() - started
        record["start"] = start
        write_record(out, record)
        atomic_write_text(out / COMPLETE_MARKER, f"{METRICS_NAME}\n")
    if ctx.world_size > 1:
        dist.barrier()
    return record


def check_output_folder(out: Path) -> None:
    """Fail before any work (not after an epoch) when ``out`` is a file or cannot be written."""
    if out.exists() and not out.is_dir():
        raise NotADirectoryError(f"--out {out} is a file; pass a folder for the run (it is created if missing)")
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / f".write-test.{os.getpid()}"
        probe.write_text("")
        probe.unlink()
    except OSError as err:
        raise PermissionError(f"--out {out} cannot be written ({err.strerror}); pass a writable folder") from None


def evaluate_checkpoint(path: Path, runtime: RuntimeOptions, *, data: DataBundle | None = None) -> dict:
    """Recompute a run's ``metrics.json`` from its checkpoint (written to ``runtime.out``)."""
    started = time.perf_counter()
    check_output_folder(Path(runtime.out))
    state = load_checkpoint(Path(path))
    missing = [k for k in ("config", "model", "epoch", "train_seconds") if k not in state]
    if missing:
        raise ValueError(
            f"{path} lacks {', '.join(missing)}: it is not a complete `qsnn train` checkpoint; "
            "retrain with `qsnn train`"
        )
    config = TrainConfig.from_dict(state["config"])
    if state["epoch"] < config.epochs:
        # A record of a half-trained model would claim the full run's epochs: refuse rather than mislead.
        raise ValueError(
            f"{path} holds epoch {state['epoch']} of {config.epochs}: finish the run first by re-running "
            f"`qsnn train` with the same settings and --out {Path(path).parent}"
        )
    ctx = _prepare_process(runtime, config.seed)
    data = data or load_data(config, runtime)
    model = build_model(config, data).to(ctx.device)
    load_weights(model, state["model"], path)
    record = None
    if ctx.is_main:
        record = measure_record(model, data, config, ctx, runtime)
        # Training time from the checkpoint plus this evaluation.
        record["wall_time_s"] = float(state["train_seconds"]) + time.perf_counter() - started
        record["start"] = {"mode": "evaluated", "from_epoch": int(state["epoch"])}
        write_record(Path(runtime.out), record)
    return record


def load_weights(model: nn.Module, weights: dict, path: Path) -> None:
    """``load_state_dict`` with a one-line error naming the first mismatched tensor."""
    try:
        model.load_state_dict(weights)
    except RuntimeError as err:
        detail = next((line.strip() for line in str(err).splitlines()[1:] if line.strip()), str(err).splitlines()[0])
        raise ValueError(
            f"{path}: its weights do not fit the {type(model).__name__} its config builds ({detail}); "
            "the checkpoint was written by different code or edited: retrain with `qsnn train`"
        ) from None
