"""Static image datasets: CIFAR10/100 (official python pickles), ImageNet (user folders), digits.

Preprocessing, following common practice for the paper's baselines (Zhou et al. [42], Sec. 6.3):

* CIFAR10/100, native 32x32: train = random crop 32 with zero padding 4, horizontal flip,
  per-channel normalisation; test = normalisation only. Implemented with torch ops so that no
  torchvision is needed. Randomness comes from torch's global generator (seeded by the trainer;
  DataLoader workers get derived seeds).
* ImageNet, 224x224: train = RandomResizedCrop(224) + flip; val = Resize(256) + CenterCrop(224);
  ImageNet mean/std. torchvision is an optional extra (``pip install qsnn[imagenet]``) imported
  only here, only when ImageNet is built.
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
        x = padded[:, top:top + h, left:left + w]
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
def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Indices of the fixed stratified split (seed 0, 20 % test) and the images/labels."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    bunch = load_digits()
    index = np.arange(len(bunch.target))
    train_idx, test_idx = train_test_split(index, test_size=DIGITS_TEST_FRACTION,
                                           random_state=DIGITS_SPLIT_SEED, stratify=bunch.target)
    return np.sort(train_idx), np.sort(test_idx), bunch.images.astype(np.float32) / 16.0, bunch.target


def build_digits(split: str) -> TensorImages:
    train_idx, test_idx, images, labels = digits_split()
    mean = float(images[train_idx].mean())
    std = float(images[train_idx].std())
    idx = train_idx if split == "train" else test_idx
    return TensorImages(torch.from_numpy(images[idx]).unsqueeze(1), torch.from_numpy(labels[idx]), (mean,), (std,))


# --------------------------------------------------------------------------- ImageNet
def check_imagenet_layout(root: Path) -> None:
    from qsnn.data.registry import DatasetNotFoundError

    base = Path(root) / "imagenet"
    missing = [s for s in ("train", "val") if not (base / s).is_dir() or not any((base / s).iterdir())]
    if missing:
        raise DatasetNotFoundError(
            f"ImageNet (ILSVRC2012) folder(s) {', '.join(str(base / s) for s in missing)} missing or empty. "
            "Its licence forbids downloading it for you: register at https://www.image-net.org/download.php, "
            f"get ILSVRC2012_img_train.tar and ILSVRC2012_img_val.tar, and arrange them as {IMAGENET_LAYOUT} "
            f"under ROOT={root} (one folder per class wnid, e.g. {base}/val/n01440764/ILSVRC2012_val_00000293.JPEG; "
            "the val images must be sorted into class folders, e.g. with the widely used valprep.sh).")


def _import_torchvision():
    try:
        import torchvision  # noqa: F401  (optional extra, only for ImageNet)
        from torchvision import datasets, transforms
    except ImportError as err:
        raise ImportError("building ImageNet needs torchvision, an optional extra: "
                          "pip install 'qsnn[imagenet]'") from err
    return datasets, transforms


def build_imagenet(split: str, root: Path):
    check_imagenet_layout(root)
    datasets, transforms = _import_torchvision()
    mean, std = IMAGENET_STATS
    if split == "train":
        tf = transforms.Compose([transforms.RandomResizedCrop(224), transforms.RandomHorizontalFlip(),
                                 transforms.ToTensor(), transforms.Normalize(mean, std)])
        folder = "train"
    else:
        tf = transforms.Compose([transforms.Resize(256), transforms.CenterCrop(224),
                                 transforms.ToTensor(), transforms.Normalize(mean, std)])
        folder = "val"  # the paper's "test" numbers on ImageNet are val numbers
    return datasets.ImageFolder(str(Path(root) / "imagenet" / folder), transform=tf)


def build_static(name: str, split: str, root: Path):
    if name in CIFAR_STATS:
        return build_cifar(name, split, root)
    if name == "digits":
        return build_digits(split)
    if name == "imagenet":
        return build_imagenet(split, root)
    raise ValueError(f"{name!r} is not a static dataset")
