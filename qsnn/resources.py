"""The data files the package reads: dataset manifests, the config schema, the table templates and
the paper's transcribed tables, found with :mod:`importlib.resources`.

The files stay where DESIGN.md puts them (``data/manifests``, ``workflow/schemas``, ``tables``,
``data/paper``). ``qsnn/_data/`` holds one relative symlink to each folder, so one lookup serves a
source checkout, an editable install (``pip install -e .``, which imports from the checkout) and a
wheel (setuptools copies the linked files into ``qsnn/_data/``; see pyproject.toml for why not a
``package-dir`` mapping). Nothing here depends on the current working directory.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

# Folder under qsnn/_data -> where it lives in the repository (for error messages).
SOURCES = {
    "manifests": "data/manifests",
    "schemas": "workflow/schemas",
    "templates": "tables",
    "paper": "data/paper",
}


def _folder(name: str) -> Path:
    # Every reader wants a real path (jinja2's FileSystemLoader, pandas, open): a checkout and an
    # installed wheel both keep the files on disk, where files() is a pathlib.Path. resolve() turns
    # the checkout's symlink into the folder itself (data/paper, not qsnn/_data/paper) for messages
    # and the workflow's inputs.
    return Path(str(files("qsnn") / "_data" / name)).resolve()


def manifest_dir() -> Path:
    """``data/manifests``: one ``<dataset>.yaml`` per registered dataset."""
    return _folder("manifests")


def schema_path() -> Path:
    """``workflow/schemas/config.schema.yaml``: the JSON Schema of the workflow config."""
    return _folder("schemas") / "config.schema.yaml"


def template_dir() -> Path:
    """``tables``: the Jinja2 templates of Tables 1-5 and ``paper.tex``."""
    return _folder("templates")


def paper_tables_dir() -> Path:
    """``data/paper``: the paper's Tables 1-5 as transcribed (``table{1..5}.csv``, ``README.md``)."""
    return _folder("paper")


def check() -> dict[str, Path]:
    """Every lookup above, keyed like SOURCES; a missing file raises FileNotFoundError naming the fix."""
    found = {
        "manifests": manifest_dir(),
        "schemas": schema_path(),
        "templates": template_dir(),
        "paper": paper_tables_dir(),
    }
    for folder, path in found.items():
        if not path.exists():
            raise FileNotFoundError(
                f"qsnn's packaged data {path} is missing: reinstall qsnn (pip install .) from a "
                f"checkout that has {SOURCES[folder]}/"
            )
    return found
