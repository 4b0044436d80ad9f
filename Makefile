# Two set-up commands: `make run` and `make test` (see README). Both build .venv from the
# system Python 3.11 and install what they need; re-running skips what is up to date.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q
# The core's tests run here, without Qt: proof that everything but ui/ and workers/ works headless.
CORE_VENV := .venv-core
CORE_BIN := $(CORE_VENV)/bin
CHECK_PYTHON = $(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required, found " + sys.version)'

.PHONY: run lint test test-core fuzz bench clean system-deps system-deps-run package package-test

$(BIN)/python:
	$(CHECK_PYTHON)
	$(PYTHON) -m venv $(VENV)

$(CORE_BIN)/python:
	$(CHECK_PYTHON)
	$(PYTHON) -m venv $(CORE_VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[gui]'
	touch $@

$(CORE_VENV)/.installed-test-core: pyproject.toml | $(CORE_BIN)/python
	$(CORE_BIN)/python -m pip --disable-pip-version-check -q install -e '.[test-core]'
	$(CORE_BIN)/python -c 'import importlib.util, sys; sys.exit("Qt got into $(CORE_VENV)" if importlib.util.find_spec("PySide6") or importlib.util.find_spec("pytestqt") else 0)'
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run system-deps-run
	$(BIN)/evidence-app

# What the desk needs to start on a bare Debian/Ubuntu desktop (Qt's xcb platform, the map's browser).
system-deps-run:
	./tools/ensure-system-packages.sh run

system-deps:
	./tools/ensure-system-packages.sh

# Static checks first: they take seconds and say exactly what is wrong.
lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

# Each test runs once: the core's in the venv without Qt, the desk's (marked gui, see
# tests/conftest.py) in the venv with it. Tests are spread over the cores (pytest-xdist;
# PYTEST_WORKERS=0 runs them in one process).
PYTEST_WORKERS ?= auto
XDIST := -n $(PYTEST_WORKERS) --maxprocesses=4
test: lint system-deps $(CORE_VENV)/.installed-test-core
	$(CORE_BIN)/python -m pytest $(XDIST) -m "not gui"
	$(BIN)/python -m pytest $(XDIST) -m gui

# The longer campaign behind the bounded suites of `make test`: ten processes for a minute
# on one store, and many more fuzzed inputs per importer (docs/reliability.md).
fuzz: $(VENV)/.installed-test system-deps
	HYPOTHESIS_PROFILE=fuzz STRESS_PROCESSES=10 STRESS_SECONDS=60 FUZZ_EXAMPLES=2000 CASEGEN_EXAMPLES=200 \
		$(BIN)/python -m pytest -p no:randomly -s tests/e2e/test_concurrent_cli.py \
		tests/unit/ingest/test_importer_fuzz.py tests/unit/casefile/test_casefile_properties.py

test-core: $(CORE_VENV)/.installed-test-core system-deps
	$(CORE_BIN)/python -m pytest $(XDIST) -m "not gui"

# The installable application: a one-folder build and its archive in dist/.
VERSION = $(shell sed -n 's/^__version__ = "\(.*\)"/\1/p' evidence_app/__init__.py)
ARCHIVE := dist/evidence-review-$(VERSION)-linux-$(shell uname -m).tar.gz

$(VENV)/.installed-package: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test,package]'
	touch $@ $(VENV)/.installed-test $(VENV)/.installed-run

package: $(VENV)/.installed-package system-deps
	rm -rf dist/evidence-review build/pyinstaller
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller packaging/evidence-app.spec
	tar -C dist -czf $(ARCHIVE) evidence-review
	@echo "built dist/evidence-review/ and $(ARCHIVE)"

# Runs the frozen build's self-test without the virtualenv and without a network.
package-test: package
	EVIDENCE_APP_FROZEN=dist/evidence-review/evidence-review $(BIN)/python -m pytest tests/packaging

bench: $(VENV)/.installed-test system-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) $(CORE_VENV) build dist *.egg-info
