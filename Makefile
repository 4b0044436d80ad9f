# Two set-up commands: `make run` and `make test` (see README). Both build .venv from the
# system Python 3.11 and install what they need; re-running skips what is up to date.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check -q

.PHONY: run test test-core fuzz bench clean system-deps

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

# The longer campaign behind the bounded suites of `make test`: ten processes for a minute
# on one store, and many more fuzzed inputs per importer (docs/reliability.md).
fuzz: $(VENV)/.installed-test system-deps
	STRESS_PROCESSES=10 STRESS_SECONDS=60 FUZZ_EXAMPLES=2000 $(BIN)/python -m pytest -p no:randomly \
		tests/e2e/test_concurrent_cli.py tests/unit/ingest/test_importer_fuzz.py -s

test-core: $(VENV)/.installed-test
	$(BIN)/python -m pytest -m "not gui"

bench: $(VENV)/.installed-test system-deps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) build *.egg-info
