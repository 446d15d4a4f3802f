"""Atomic checkpoints that load with ``torch.load(weights_only=True)``, verified by a content hash.

Only tensors and primitives are stored, so loading never unpickles arbitrary
objects: RNG states become tensors, the configuration a plain dict. Every
checkpoint carries the SHA-256 of its whole content (every tensor's dtype, shape
and bytes, every primitive), computed at save and checked at load, so a flipped
bit anywhere in the weights is refused instead of silently changing a result.
"""

from __future__ import annotations

import hashlib
import pickle
import random
from pathlib import Path

import numpy as np
import torch

from qsnn.io import atomic_write, atomic_write_text  # noqa: F401  (re-exported for the engine)

CHECKPOINT_NAME = "checkpoint.pt"
CHECKPOINT_FORMAT = 2  # 2: adds "sha256", the content hash


class CheckpointError(ValueError):
    """A checkpoint that cannot be trusted or read; the message names the file and the fix."""


def capture_rng_state() -> dict:
    """Python, NumPy and torch (CPU and CUDA) generator states, as tensors."""
    version, internal, gauss = random.getstate()
    np_kind, np_keys, np_pos, np_has_gauss, np_gauss = np.random.get_state()
    state = {
        "python": torch.tensor(internal, dtype=torch.int64),
        "python_version": version,
        "python_gauss": gauss,
        "numpy": torch.from_numpy(np_keys.astype(np.int64)),
        "numpy_pos": int(np_pos),
        "numpy_has_gauss": int(np_has_gauss),
        "numpy_gauss": float(np_gauss),
        "torch": torch.get_rng_state(),
    }
    if np_kind != "MT19937":
        raise RuntimeError(f"unexpected NumPy generator {np_kind!r}")
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_rng_state(state: dict) -> None:
    random.setstate((state["python_version"], tuple(int(v) for v in state["python"]), state["python_gauss"]))
    np.random.set_state(
        (
            "MT19937",
            state["numpy"].numpy().astype(np.uint32),
            state["numpy_pos"],
            state["numpy_has_gauss"],
            state["numpy_gauss"],
        )
    )
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available() and len(state["cuda"]) == torch.cuda.device_count():
        torch.cuda.set_rng_state_all(state["cuda"])


def content_hash(obj) -> str:
    """SHA-256 over a nested structure of dicts, lists, tensors and primitives, in a fixed order."""
    digest = hashlib.sha256()
    _feed(digest, obj)
    return digest.hexdigest()


def _feed(digest, obj) -> None:
    if isinstance(obj, dict):
        digest.update(b"{")
        for key in sorted(obj, key=str):
            digest.update(repr(key).encode())
            _feed(digest, obj[key])
        digest.update(b"}")
    elif isinstance(obj, (list, tuple)):
        digest.update(b"[" if isinstance(obj, list) else b"(")
        for item in obj:
            _feed(digest, item)
        digest.update(b"]")
    elif isinstance(obj, torch.Tensor):
        flat = obj.detach().cpu().contiguous().reshape(-1)
        digest.update(f"T{flat.dtype}{tuple(obj.shape)}".encode())
        digest.update(flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
    else:
        digest.update(repr(obj).encode())


def save_checkpoint(path: Path, state: dict) -> None:
    """Write ``state`` and its content hash atomically (temp file in the same folder, then ``os.replace``)."""
    payload = {"format": CHECKPOINT_FORMAT, **state}
    payload["sha256"] = content_hash(payload)
    atomic_write(path, lambda tmp: torch.save(payload, tmp))


def remove_orphan_temps(folder: Path, name: str = CHECKPOINT_NAME) -> list[Path]:
    """Delete ``.NAME.*.tmp`` files a killed save left behind (one writer per run folder)."""
    orphans = sorted(Path(folder).glob(f".{name}.*.tmp")) if Path(folder).is_dir() else []
    for orphan in orphans:
        orphan.unlink(missing_ok=True)
    return orphans


def load_checkpoint(path: Path, map_location="cpu") -> dict:
    """Load a checkpoint safely (``weights_only=True``) and verify its content hash; one-line
    errors for missing, unsafe, foreign and corrupt files."""
    path = Path(path)
    if path.is_dir():
        raise CheckpointError(f"{path} is a folder; pass the checkpoint file inside it, e.g. {path / CHECKPOINT_NAME}")
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint at {path}: train first with `qsnn train ... --out {path.parent}`")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError:  # weights_only refused an object: never unpickle it
        raise CheckpointError(
            f"{path} holds objects other than tensors and plain values, which qsnn refuses to "
            "unpickle (they could run code); use checkpoints written by `qsnn train`"
        ) from None
    except Exception as err:  # a truncated or foreign file: say which and why, in one line
        reason = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CheckpointError(
            f"{path} is not a readable qsnn checkpoint ({reason}); delete it and train again"
        ) from None
    if not isinstance(state, dict) or state.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(
            f"{path} is not a qsnn checkpoint of format {CHECKPOINT_FORMAT}; delete it and train again"
        )
    stored = state.pop("sha256", None)
    if stored is None or content_hash(state) != stored:
        raise CheckpointError(
            f"{path} is corrupt: its content does not match the hash stored when it was saved; "
            f"delete it and retrain (`qsnn train ... --out {path.parent}` starts afresh)"
        )
    return state
