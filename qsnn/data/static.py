"""Static image datasets: CIFAR10/100 (official python pickles), ImageNet (user folders), digits.

Preprocessing, following common practice for the paper's baselines (Zhou et al. [42], Sec. 6.3):

* CIFAR10/100, native 32x32: train = random crop 32 with zero padding 4, horizontal flip,
  per-channel normalisation; test = normalisation only. Implemented with torch ops so that no
  torchvision is needed. Randomness comes from torch's global generator (seeded by the trainer;
  DataLoader workers get derived seeds).
* ImageNet, 224x224: train = RandomResizedCrop(224) (scale 0.08-1, aspect 3/4-4/3, bilinear) +
  flip; val = Resize(256) (shorter side, bilinear) + CenterCrop(224); ImageNet mean/std; the
  folder is read like torchvision's ``ImageFolder`` (class = sorted wnid folder, files sorted).
  These are the standard torchvision recipes, written here with PIL and torch because
  torchvision cannot be imported next to the CPU build of torch this project pins (its PyPI
  wheels are built against torch's CUDA build: ``import torchvision`` fails with "operator
  torchvision::nms does not exist"), and the rehearsal must read fake ImageNet on a CPU through
  the very code the paper profile uses. :class:`ImageFolderImages` documents the details.
* digits (offline static stand-in): scikit-learn's 1797 8x8 digits, grey levels 0..16 scaled to
  [0, 1], then normalised with the train split's mean/std (one channel). Split: stratified
  ``train_test_split(test_size=0.2, random_state=0)`` -> 1437 train / 360 test. No augmentation:
  at 8x8 a 1-pixel crop shift moves a fifth of the digit, and the quick profile needs
  determinism more than a fraction of a percent of accuracy.
"""

from __future__ import annotations

import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

CIFAR_STATS = {
    "cifar10": ((0.4914, 0.4822, 0.4465), (0.2470, 0.2435, 0.2616)),
    "cifar100": ((0.5071, 0.4865, 0.4409), (0.2673, 0.2564, 0.2762)),
}
IMAGENET_STATS = ((0.485, 0.456, 0.406), (0.229, 0.224, 0.225))
IMAGENET_LAYOUT = "ROOT/imagenet/{train,val}/<wnid>/*.JPEG"
DIGITS_TEST_FRACTION = 0.2
DIGITS_SPLIT_SEED = 0


# --------------------------------------------------------------------------- tensors in memory
@dataclass
class CropFlip:
    """Random crop with zero padding plus horizontal flip on a ``[C,H,W]`` tensor."""

    padding: int = 4
    flip_p: float = 0.5

    def __call__(self, x: torch.Tensor) -> torch.Tensor:
        _, h, w = x.shape
        padded = torch.nn.functional.pad(x, (self.padding,) * 4)
        top, left = (int(v) for v in torch.randint(0, 2 * self.padding + 1, (2,)))
        x = padded[:, top : top + h, left : left + w]
        if float(torch.rand(())) < self.flip_p:
            x = x.flip(-1)
        return x


class TensorImages(Dataset):
    """Normalised images held in memory, with an optional train-time augmentation."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, mean, std, augment=None):
        mean_t = torch.as_tensor(mean, dtype=torch.float32).view(-1, 1, 1)
        std_t = torch.as_tensor(std, dtype=torch.float32).view(-1, 1, 1)
        # Normalising before padding means the crop pads with the mean colour, not black: the
        # common torchvision order pads black then normalises; the difference is immaterial for
        # accuracy and this keeps one vectorised pass.
        self.images = (images.float() - mean_t) / std_t
        self.labels = labels.long()
        self.augment = augment

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        x = self.images[index]
        if self.augment is not None:
            x = self.augment(x)
        return x, int(self.labels[index])


# --------------------------------------------------------------------------- CIFAR
def _unpickle(path: Path) -> dict:
    with open(path, "rb") as fh:
        return pickle.load(fh, encoding="latin1")


def load_cifar_arrays(name: str, split: str, root: Path) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images ``[N,3,32,32]`` and int labels from the official python batches."""
    if name == "cifar10":
        folder = root / "cifar10" / "cifar-10-batches-py"
        files = [f"data_batch_{i}" for i in range(1, 6)] if split == "train" else ["test_batch"]
        label_key = "labels"
    else:
        folder = root / "cifar100" / "cifar-100-python"
        files = ["train"] if split == "train" else ["test"]
        label_key = "fine_labels"
    batches = [_unpickle(folder / f) for f in files]
    images = np.concatenate([b["data"] for b in batches]).reshape(-1, 3, 32, 32)
    labels = np.concatenate([np.asarray(b[label_key]) for b in batches])
    return images, labels


def build_cifar(name: str, split: str, root: Path) -> TensorImages:
    images, labels = load_cifar_arrays(name, split, root)
    mean, std = CIFAR_STATS[name]
    augment = CropFlip(padding=4) if split == "train" else None
    return TensorImages(torch.from_numpy(images).float() / 255.0, torch.from_numpy(labels), mean, std, augment)


# --------------------------------------------------------------------------- digits
def digits_split(root: Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the fixed stratified split (seed 0, 20 % test) and the images/labels.

    With ``root``, the arrays are cached in ``root/cache/digits/split-sklearn<version>.npz``: importing
    scikit-learn costs ~1.5 s, paid by every quick-profile run on ``digits`` or ``digits-dvs``
    (measured), while the cache loads in milliseconds. The key holds sklearn's version, so a new
    sklearn (whose bundled data or splitter might differ) recomputes instead of trusting the cache.
    """
    cache = _digits_cache_path(root) if root is not None else None
    if cache is not None and cache.is_file():
        with np.load(cache) as saved:
            return saved["train_idx"], saved["test_idx"], saved["images"], saved["labels"]
    arrays = _compute_digits_split()
    if cache is not None:
        from qsnn.io import atomic_write_npz

        cache.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_npz(cache, **dict(zip(("train_idx", "test_idx", "images", "labels"), arrays)))
    return arrays


def _digits_cache_path(root: Path) -> Path:
    from importlib.metadata import version  # reads the dist metadata only; sklearn is not imported

    return Path(root) / "cache" / "digits" / f"split-sklearn{version('scikit-learn')}.npz"


def _compute_digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    index = np.arange(len(bunch.target))
    train_idx, test_idx = train_test_split(
        index, test_size=DIGITS_TEST_FRACTION, random_state=DIGITS_SPLIT_SEED, stratify=bunch.target
    )
    return np.sort(train_idx), np.sort(test_idx), bunch.images.astype(np.float32) / 16.0, bunch.target


def build_digits(split: str, root: Path | None = None) -> TensorImages:
    train_idx, test_idx, images, labels = digits_split(root)
    mean = float(images[train_idx].mean())
    std = float(images[train_idx].std())
    idx = train_idx if split == "train" else test_idx
    return TensorImages(torch.from_numpy(images[idx]).unsqueeze(1), torch.from_numpy(labels[idx]), (mean,), (std,))


# --------------------------------------------------------------------------- ImageNet
def check_imagenet_layout(root: Path) -> None:
    from qsnn.data.manifest import DatasetNotFoundError

    base = Path(root) / "imagenet"
    missing = [s for s in ("train", "val") if not (base / s).is_dir() or not any((base / s).iterdir())]
    if missing:
        raise DatasetNotFoundError(
            f"ImageNet (ILSVRC2012) folder(s) {', '.join(str(base / s) for s in missing)} missing or empty. "
            "Its licence forbids downloading it for you: register at https://www.image-net.org/download.php, "
            f"get ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar, and arrange them as {IMAGENET_LAYOUT} "
            f"under ROOT={root} (one folder per class wnid, e.g. {base}/val/n01440764/ILSVRC2012_val_00000293.JPEG; "
            "the val images must be sorted into class folders, e.g. with the widely used valprep.sh)."
        )


IMAGE_SUFFIXES = (".jpeg", ".jpg", ".png")


def _image_files(folder: Path) -> list[tuple[Path, int]]:
    """``(path, class index)`` in ImageFolder's order: classes = sorted sub-folders, files sorted."""
    classes = sorted(d.name for d in folder.iterdir() if d.is_dir())
    samples = []
    for index, name in enumerate(classes):
        files = sorted(p for p in (folder / name).rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
        samples += [(path, index) for path in files]
    return samples


@dataclass
class ResizedCrop:
    """torchvision's RandomResizedCrop(size) for training, Resize(resize)+CenterCrop(size) for eval.

    Training samples an area fraction in ``scale`` and a log-uniform aspect ratio in ``ratio``,
    ten tries, then falls back to the central crop of the clamped ratio, as torchvision does;
    randomness comes from torch's global generator (seeded by the trainer and its workers).
    """

    size: int = 224
    resize: int = 256
    train: bool = False
    scale: tuple[float, float] = (0.08, 1.0)
    ratio: tuple[float, float] = (3 / 4, 4 / 3)

    def __call__(self, image):
        from PIL import Image

        image = image.convert("RGB")
        if self.train:
            box = self._random_box(*image.size)
            image = image.resize((self.size, self.size), Image.BILINEAR, box=box)
            if float(torch.rand(())) < 0.5:
                image = image.transpose(Image.FLIP_LEFT_RIGHT)
            return image
        w, h = image.size
        short = self.resize
        size = (short, int(short * h / w)) if w <= h else (int(short * w / h), short)
        image = image.resize(size, Image.BILINEAR)
        left, top = round((size[0] - self.size) / 2), round((size[1] - self.size) / 2)
        return image.crop((left, top, left + self.size, top + self.size))

    def _random_box(self, width: int, height: int) -> tuple[int, int, int, int]:
        import math

        area = width * height
        log_ratio = (math.log(self.ratio[0]), math.log(self.ratio[1]))
        for _ in range(10):
            target = area * float(torch.empty(()).uniform_(*self.scale))
            aspect = math.exp(float(torch.empty(()).uniform_(*log_ratio)))
            w, h = int(round(math.sqrt(target * aspect))), int(round(math.sqrt(target / aspect)))
            if 0 < w <= width and 0 < h <= height:
                top = int(torch.randint(0, height - h + 1, ()))
                left = int(torch.randint(0, width - w + 1, ()))
                return left, top, left + w, top + h
        aspect = width / height  # fallback: the central crop of the clamped aspect ratio
        if aspect < self.ratio[0]:
            w, h = width, int(round(width / self.ratio[0]))
        elif aspect > self.ratio[1]:
            w, h = int(round(height * self.ratio[1])), height
        else:
            w, h = width, height
        left, top = (width - w) // 2, (height - h) // 2
        return left, top, left + w, top + h


class ImageFolderImages(Dataset):
    """``(normalised [3,224,224] float32, class index)`` from ``ROOT/imagenet/{train,val}/<wnid>/*``."""

    def __init__(self, folder: Path, train: bool):
        self.samples = _image_files(Path(folder))
        if not self.samples:
            raise ValueError(
                f"{folder} holds no .JPEG/.jpg/.png images in class folders; see the layout {IMAGENET_LAYOUT}"
            )
        self.crop = ResizedCrop(train=train)
        mean, std = IMAGENET_STATS
        self.mean = torch.tensor(mean).view(3, 1, 1)
        self.std = torch.tensor(std).view(3, 1, 1)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int):
        from PIL import Image

        path, label = self.samples[index]
        with Image.open(path) as image:
            pixels = np.asarray(self.crop(image), dtype=np.float32) / 255.0
        x = torch.from_numpy(pixels).permute(2, 0, 1)
        return (x - self.mean) / self.std, label


def build_imagenet(split: str, root: Path):
    check_imagenet_layout(root)
    folder = "train" if split == "train" else "val"  # the paper's "test" numbers on ImageNet are val numbers
    return ImageFolderImages(Path(root) / "imagenet" / folder, train=split == "train")


def build_static(name: str, split: str, root: Path):
    if name in CIFAR_STATS:
        return build_cifar(name, split, root)
    if name == "digits":
        return build_digits(split, root)
    if name == "imagenet":
        return build_imagenet(split, root)
    raise ValueError(f"{name!r} is not a static dataset")
