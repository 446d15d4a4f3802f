"""Typed configuration of one training run (paper Sec. 6.3 defaults).

The paper trains with AdamW, learning rate 5e-4, batch size 128, 310 epochs on
ImageNet and 400 on every other dataset. It names a cosine schedule only through
the frameworks it follows (Spikformer/timm); we anneal the learning rate with a
cosine **per optimizer step** from ``lr`` to 0 over all steps of the run, without
warm-up, so short quick-profile runs get the same shape as long ones. The weight
decay is not given in the paper: we use torch's AdamW default, 0.01.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from qsnn.wst import WST, parse_wst

PAPER_LR = 5e-4
PAPER_BATCH_SIZE = 128
DEFAULT_WEIGHT_DECAY = 0.01  # paper silent; torch.optim.AdamW's default
IMAGENET_EPOCHS = 310
OTHER_EPOCHS = 400


def default_epochs(dataset: str) -> int:
    """Sec. 6.3: 310 epochs on ImageNet, 400 on CIFAR and the neuromorphic sets (and stand-ins)."""
    return IMAGENET_EPOCHS if dataset == "imagenet" else OTHER_EPOCHS


class ConfigMismatchError(ValueError):
    """A checkpoint was written by a run with a different configuration."""


@dataclass(frozen=True)
class TrainConfig:
    """Everything that determines the result of a run.

    ``limit_batches`` (hidden CLI flag ``--limit-batches``) caps the batches of
    every epoch, train and test, for fast tests; ``None`` uses the whole split.
    Runtime-only settings (output folder, data root, thread count, workers,
    download) live outside: they do not change the result, so a run may resume
    with different values of them.
    """

    dataset: str
    arch: str
    wst: str
    epochs: int
    seed: int = 0
    batch_size: int = PAPER_BATCH_SIZE
    lr: float = PAPER_LR
    weight_decay: float = DEFAULT_WEIGHT_DECAY
    limit_batches: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "wst", str(parse_wst(self.wst)))  # canonical "W/S/T", validates
        positive = {"epochs": self.epochs, "batch_size": self.batch_size}
        if self.limit_batches is not None:
            positive["limit_batches"] = self.limit_batches
        for name, value in positive.items():
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name}={value!r}: must be a positive integer")
        if not self.lr > 0:
            raise ValueError(f"lr={self.lr!r}: the learning rate must be > 0")
        if self.weight_decay < 0:
            raise ValueError(f"weight_decay={self.weight_decay!r}: must be >= 0")

    @property
    def parsed_wst(self) -> WST:
        return parse_wst(self.wst)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown training config keys {sorted(unknown)}; known keys: {sorted(known)}")
        return cls(**data)

    def check_resumable_from(self, other: "TrainConfig", where: str) -> None:
        """Refuse to resume ``where`` (a checkpoint) if it was trained with another config."""
        mine, theirs = self.to_dict(), other.to_dict()
        diff = {k: (theirs[k], mine[k]) for k in mine if mine[k] != theirs[k]}
        if diff:
            pretty = ", ".join(f"{k}: checkpoint {a!r} vs requested {b!r}" for k, (a, b) in diff.items())
            raise ConfigMismatchError(
                f"{where} belongs to a run with a different configuration ({pretty}). "
                "Use another --out folder, or delete the checkpoint to start over."
            )
