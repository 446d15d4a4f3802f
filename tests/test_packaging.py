"""The installable package: its data files (manifests, config schema, table templates, the paper's
tables) found through qsnn.resources from any working directory, shipped in the wheel, the
version flag, and the workflow run with ``--directory`` elsewhere.

The full check, a fresh venv with ``pip install .`` and the CLI run from outside the checkout,
takes minutes (dependencies); it is a manual step (see pyproject.toml's package-data comment).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

import qsnn
from qsnn import resources
from qsnn.cli import main
from qsnn.data.registry import DATASET_NAMES

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ["_macros.tex.j2", "paper.tex.j2"] + [f"table{n}.tex.j2" for n in range(1, 6)]
PAPER_FILES = ["README.md"] + [f"table{n}.csv" for n in range(1, 6)]
# Wheel path -> the checkout file it must be a copy of.
PACKAGED = {
    **{f"qsnn/_data/manifests/{n}.yaml": f"data/manifests/{n}.yaml" for n in DATASET_NAMES},
    "qsnn/_data/schemas/config.schema.yaml": "workflow/schemas/config.schema.yaml",
    **{f"qsnn/_data/templates/{t}": f"tables/{t}" for t in TEMPLATES},
    **{f"qsnn/_data/paper/{p}": f"data/paper/{p}" for p in PAPER_FILES},
}
IN_CHECKOUT = Path(qsnn.__file__).resolve().parent == ROOT / "qsnn"  # editable install or source tree


def test_resource_lookups_find_every_file():
    found = resources.check()
    assert set(found) == set(resources.SOURCES)
    for name in DATASET_NAMES:
        assert (resources.manifest_dir() / f"{name}.yaml").is_file(), name
    assert "properties" in yaml.safe_load(resources.schema_path().read_text())
    for template in TEMPLATES:
        assert (resources.template_dir() / template).is_file(), template
    for name in PAPER_FILES:
        assert (resources.paper_tables_dir() / name).is_file(), name


@pytest.mark.skipif(not IN_CHECKOUT, reason="qsnn is installed from a wheel, not this checkout")
def test_in_the_checkout_the_lookups_are_the_repository_folders():
    """Editable installs read the files in place (through qsnn/_data's links): no stale copies."""
    assert resources.manifest_dir() == ROOT / "data" / "manifests"
    assert resources.schema_path() == ROOT / "workflow" / "schemas" / "config.schema.yaml"
    assert resources.template_dir() == ROOT / "tables"
    assert resources.paper_tables_dir() == ROOT / "data" / "paper"


def test_version_flag(capsys):
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.strip() == f"qsnn {qsnn.__version__}"


def test_the_cli_needs_no_checkout_as_working_directory(tmp_path):
    """Manifests, schema, templates and paper tables are found from any folder."""

    def qsnn_cli(*args):
        done = subprocess.run(
            [sys.executable, "-m", "qsnn.cli", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert "digits" in qsnn_cli("data", "list")
    assert "OK: profile quick" in qsnn_cli("report", "validate-config", str(ROOT / "config" / "config.yaml"))
    qsnn_cli("render", "paper", "--out", "paper.tex")
    assert (tmp_path / "paper.tex").read_text().startswith("%")


@pytest.mark.skipif(not IN_CHECKOUT, reason="builds the wheel from this checkout")
def test_the_wheel_ships_the_data_files(tmp_path):
    """Build the wheel from a copy of the checkout (the build writes build/ beside its sources)."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for folder in (
        "qsnn",
        "data/manifests",
        "data/paper",
        "workflow/schemas",
        "tables",
    ):
        shutil.copytree(
            ROOT / folder,
            src / folder,
            symlinks=True,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
        )
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path / "dist"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    (wheel,) = (tmp_path / "dist").glob("qsnn-*.whl")
    assert wheel.name.startswith(f"qsnn-{qsnn.__version__}-")
    with zipfile.ZipFile(wheel) as zf:
        names = set(zf.namelist())
        missing = sorted(set(PACKAGED) - names)
        assert not missing, f"not in the wheel: {missing}"
        for (
            inside,
            source,
        ) in PACKAGED.items():  # real files, copied from the linked folders
            assert zf.read(inside) == (ROOT / source).read_bytes(), inside
        modules = {str(p.relative_to(ROOT)) for p in (ROOT / "qsnn").rglob("*.py") if "__pycache__" not in p.parts}
        assert not modules - names, f"modules not in the wheel: {sorted(modules - names)}"


def test_the_workflow_runs_from_another_working_directory(tmp_path):
    """`snakemake --directory OUT`: the config, rules, scripts and templates come from the
    workflow's folder; results/ goes to OUT."""
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "-p", "--directory", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 0, out
    assert str(ROOT / "config" / "config.yaml") in out
    assert f"python {ROOT}/figures/fig4.py" in out
    assert f"--templates {ROOT}/tables" in out
