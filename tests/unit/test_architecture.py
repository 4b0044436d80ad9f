"""The layering rules as executable checks: the core imports no Qt; imports point downward."""

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

CORE = [
    "evidence_app.domain",
    "evidence_app.storage",
    "evidence_app.ingest",
    "evidence_app.analysis",
    "evidence_app.services",
    "evidence_app.casefile",
    "evidence_app.mapview",
    "evidence_app.cli",
]


def test_core_packages_do_not_load_qt():
    """Import every core module in a fresh interpreter and check no Qt module got loaded."""
    code = (
        "import importlib, pkgutil, sys\n"
        f"for name in {CORE!r}:\n"
        "    pkg = importlib.import_module(name)\n"
        "    for info in pkgutil.walk_packages(pkg.__path__, name + '.'):\n"
        "        if '.migrations' in info.name: continue\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6')))\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"core modules imported Qt: {result.stdout}"


def test_import_contracts_hold():
    """import-linter's contracts in pyproject.toml (no Qt in the core, layers point downward)."""
    # next to the interpreter running the tests: the project's .venv, or any other venv
    lint = Path(sys.executable).parent / "lint-imports"
    exe = str(lint) if lint.exists() else "lint-imports"
    result = subprocess.run([exe], capture_output=True, text=True, cwd=PROJECT_ROOT, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    assert " 0 broken" in result.stdout


# -- docs/architecture.md names only what exists ------------------------------------------
ROOTS = ("", "evidence_app/", "tests/", "tests/unit/", "tests/gui/")
TOP = {p.name for p in PROJECT_ROOT.iterdir() if p.is_dir()} | {
    p.name for p in (PROJECT_ROOT / "evidence_app").iterdir() if p.is_dir()
}
FILE_SUFFIXES = (
    ".py",
    ".md",
    ".js",
    ".css",
    ".toml",
    ".spec",
    ".sh",
    ".json",
    ".geojson",
    ".npz",
    ".gz",
    ".svg",
    ".png",
)
SOURCE_DIRS = ("evidence_app", "tests", "tools", "bench", "docs", "packaging", "resources")  # not the virtualenvs
RUNTIME_NAMES = {"basemaps.json", "tmp/.sweep.lock"}  # written at run time, in the store or the config folder


def _named_paths(text: str) -> list[str]:
    """Backticked names that point into the tree: `ui/map_view.py`, `services/photos.attach_files`, `tools.py`."""
    import re

    names = []
    for token in re.findall(r"`([^`\s]+)`", text):
        if "<" in token or "://" in token or token in RUNTIME_NAMES:
            continue
        first = token.split("/")[0]
        if "/" in token and first in TOP or "/" not in token and token.split("::")[0].endswith(FILE_SUFFIXES):
            names.append(token)
    return names


def _resolves(name: str) -> bool:
    """A folder or file of the tree, or a module's attribute (`services/incidents.incident_view`)."""
    path, _, test = name.partition("::")
    path = path.rstrip("/")
    attributes: list[str] = []
    if "/" not in path:  # a bare file name, listed under its folder
        found = [*PROJECT_ROOT.glob(path), *(p for d in SOURCE_DIRS for p in (PROJECT_ROOT / d).rglob(path))]
        return bool(found) and (not test or any(f"def {test}" in p.read_text() for p in found))
    if not path.endswith(FILE_SUFFIXES):
        head, _, tail = path.rpartition("/")
        module, *attributes = tail.split(".")
        path = f"{head}/{module}"
    for root in ROOTS:
        for candidate in (PROJECT_ROOT / f"{root}{path}", PROJECT_ROOT / f"{root}{path}.py"):
            if candidate.exists():
                if not candidate.is_file():
                    return not attributes
                source = candidate.read_text()
                return all(attr in source for attr in attributes) and (not test or f"def {test}" in source)
    return False


def test_every_path_the_architecture_doc_names_exists():
    names = _named_paths((PROJECT_ROOT / "docs" / "architecture.md").read_text())
    assert len(names) > 50  # the parser still finds the doc's paths
    missing = sorted({n for n in names if not _resolves(n)})
    assert missing == [], f"docs/architecture.md names what is not in the tree: {missing}"
