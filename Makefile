# Two set-up commands: `make run` and `make test` (see README). Both build .venv from the
# system Python 3.11 and install what they need; re-running skips what is up to date.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test test-core bench clean system-deps

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required, found " + sys.version)'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: pyproject.toml | $(BIN)/python
	$(PIP) install -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(PIP) install -e '.[test]'
	touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	$(BIN)/evidence-app

system-deps:
	./tools/ensure-system-packages.sh

test: $(VENV)/.installed-test system-deps
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

test-core: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not gui"

bench: $(VENV)/.installed-test system-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
