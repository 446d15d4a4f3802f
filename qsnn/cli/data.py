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
    prep.add_argument("--no-download", action="store_true",
                      help="only verify and extract archives already placed under ROOT/NAME")
    prep.set_defaults(func=run_prepare)


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
    from qsnn.data import prepare

    folder = prepare(args.name, args.root, download=not args.no_download)
    if args.name == "digits":
        print("digits: offline, bundled with scikit-learn; nothing to prepare")
    else:
        print(f"{args.name}: ready under {folder}")
    return 0
