"""The ``qsnn`` command line. Each subcommand lives in its own module with a
``register(subparsers)`` function that adds its parser and sets ``func``."""

from __future__ import annotations

import argparse
import importlib
import sys

# One module per subcommand group; each owns its own flags.
SUBCOMMAND_MODULES = [
    "qsnn.cli.archs",
    "qsnn.cli.cost",
    "qsnn.cli.data",
    "qsnn.cli.train",
    "qsnn.cli.hw",
    "qsnn.cli.synth",
    "qsnn.cli.report",
    "qsnn.cli.render",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="qsnn", description="W/S/T quantized SNNs and Bit-Budget costs")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in SUBCOMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    # OSError covers missing files, permissions and failed downloads (DownloadError): bad input
    # and bad networks get one line, never a traceback.
    except (ValueError, KeyError, OSError) as err:
        print(f"qsnn {args.command}: error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
