"""The ``qsnn`` command line. Each subcommand lives in its own module with a
``register(subparsers)`` function that adds its parser and sets ``func``."""

from __future__ import annotations

import argparse
import importlib
import sys

from qsnn import __version__

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
    "qsnn.cli.search",
]


class OneLineParser(argparse.ArgumentParser):
    """Usage errors in one line (the bad argument and what is accepted), exit status 2; every
    subcommand's help shows its defaults (sub-parsers are built from this class too)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", argparse.ArgumentDefaultsHelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="qsnn", description="W/S/T quantized SNNs and Bit-Budget costs")
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}", help="print the qsnn version and exit"
    )
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


def launch() -> int:
    """The ``qsnn`` console script: through the workflow's fork server when one runs
    (:mod:`qsnn.forkserver`: the imports are already done there), else in this process."""
    from qsnn import forkserver

    status = forkserver.forward(sys.argv[1:])
    return main() if status is None else status


if __name__ == "__main__":
    sys.exit(main())
