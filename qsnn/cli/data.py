"""``qsnn data list`` and ``qsnn data prepare NAME [--root data]``."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("data", help="list, download and prepare datasets")
    group = p.add_subparsers(dest="data_command", required=True, metavar="ACTION")
    lst = group.add_parser("list", help="list the registered datasets")
    lst.add_argument("--root", type=Path, default=Path("data"), help="data folder (to show what is prepared)")
    lst.set_defaults(func=run_list)
    prep = group.add_parser("prepare", help="download, verify and extract a dataset (idempotent)")
    prep.add_argument("name", help="dataset name (see `qsnn data list`)")
    prep.add_argument("--root", type=Path, default=Path("data"), help="data folder (default: data)")
    prep.add_argument(
        "--no-download", action="store_true", help="only verify and extract archives already placed under ROOT/NAME"
    )
    prep.add_argument(
        "--archive-dir",
        type=Path,
        default=None,
        help="take the archives from this folder instead of downloading them (same file names "
        "as the download URLs' manifest entries; checksums are verified as for a download)",
    )
    prep.add_argument(
        "--skip-checksum",
        action="store_true",
        help="do not verify checksums (fakes, repackaging mirrors); the data is recorded as "
        "'unverified' in the prepared marker and in every metrics.json trained on it",
    )
    prep.set_defaults(func=run_prepare)
    fake = group.add_parser(
        "fake",
        help="write a format-exact fake of a paper dataset (to rehearse `prepare --archive-dir`)",
        description="Write the files a real download of NAME delivers (same file names and on-disk formats, "
        "synthetic contents) into DIR; then `qsnn data prepare NAME --archive-dir DIR "
        "--skip-checksum` prepares them. For imagenet DIR is meant to be ROOT/imagenet.",
    )
    fake.add_argument("name", help="paper dataset: cifar10, cifar100, imagenet, cifar10-dvs, dvs-gesture, n-caltech101")
    fake.add_argument(
        "--out", type=Path, required=True, metavar="DIR", help="folder to write the fake files into (created)"
    )
    fake.add_argument(
        "--samples",
        type=int,
        default=None,
        help="images/recordings per class per split (default: 2; raised where tonic needs "
        "more files, see qsnn/data/fake.py)",
    )
    fake.add_argument("--seed", type=int, default=0, help="random seed; same seed, same bytes (default: 0)")
    fake.set_defaults(func=run_fake)


def run_fake(args) -> int:
    from qsnn.data.fake import write_fake

    for path in write_fake(args.name, args.out, samples=args.samples, seed=args.seed):
        print(path)
    return 0


def run_list(args) -> int:
    from qsnn.data import dataset_info, list_datasets
    from qsnn.data.registry import is_prepared, load_manifest

    for name in list_datasets():
        info = dataset_info(name)
        shape = "x".join(str(s) for s in info.input_shape)
        if load_manifest(name).files:
            state = "prepared" if is_prepared(name, args.root) else "not prepared"
        else:
            state = "user-supplied" if name == "imagenet" else "offline"
        note = f"  [{info.stand_in}]" if info.stand_in else ""
        print(f"{name:14s} {info.kind:12s} {shape:9s} classes {info.num_classes:<5d} {state}{note}")
    return 0


def run_prepare(args) -> int:
    import sys

    from qsnn.data import prepare

    if args.archive_dir is not None and not args.archive_dir.is_dir():
        raise ValueError(f"--archive-dir {args.archive_dir} is not a folder; pass the folder that holds the archives")
    if args.skip_checksum:
        print(
            f"qsnn data prepare: warning: checksums of {args.name} are NOT verified (--skip-checksum); "
            "the data is recorded as 'unverified' and every run trained on it says so",
            file=sys.stderr,
        )
    folder = prepare(
        args.name, args.root, download=not args.no_download, archive_dir=args.archive_dir, verify=not args.skip_checksum
    )
    if args.name == "digits":
        print("digits: offline, bundled with scikit-learn; nothing to prepare")
    else:
        print(f"{args.name}: ready under {folder}")
    return 0
