"""Training and evaluation of W/S/T quantized SNNs (paper Sec. 6.3): ``qsnn train``, ``qsnn evaluate``."""

from qsnn.train.config import ConfigMismatchError, TrainConfig, default_epochs
from qsnn.train.engine import DataBundle, NonFiniteLossError, RuntimeOptions, evaluate_checkpoint, train

__all__ = [
    "ConfigMismatchError",
    "DataBundle",
    "NonFiniteLossError",
    "RuntimeOptions",
    "TrainConfig",
    "default_epochs",
    "evaluate_checkpoint",
    "train",
]
