"""``qsnn archs``: list the registered architectures."""

from __future__ import annotations


def register(sub) -> None:
    p = sub.add_parser("archs", help="list registered architecture names")
    p.add_argument("--family", help="only this family")
    p.add_argument("--tiny", action="store_true", help="only the tiny quick-profile siblings")
    p.set_defaults(func=run)


def run(args) -> int:
    from qsnn.models import arch_spec, list_archs

    families = sorted({arch_spec(n).family for n in list_archs()})
    if args.family is not None and args.family not in families:
        raise ValueError(f"--family {args.family!r} is not a registered family; known families: {', '.join(families)}")
    for name in list_archs(family=args.family, tiny=True if args.tiny else None):
        spec = arch_spec(name)
        c, h, w = spec.input_shape
        role = "  (tiny)" if spec.tiny else (f"  quick-profile stand-in: {spec.stand_in}" if spec.stand_in else "")
        print(f"{name:24s} {spec.family:12s} input {c}x{h}x{w}  classes {spec.num_classes}{role}")
    return 0
