# Two commands: `make demo` installs everything and builds the bundled demo; `make test` runs
# the whole test suite. Both create the virtual environment on first use.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# Keep PyTensor's compile cache (C and numba) inside the project, so a rebuild reuses it.
export PYTENSOR_FLAGS ?= base_compiledir=$(CURDIR)/target/pytensor

.PHONY: setup demo test test-all lint bench clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
		echo "llm_migration needs Python 3.11 or newer; '$(PYTHON)' is $$($(PYTHON) --version 2>&1)." >&2; \
		echo "Point make at a newer interpreter, e.g. make demo PYTHON=python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

setup: $(BIN)/.installed

demo: setup
	mkdir -p target
	$(BIN)/dbt build

test: setup
	mkdir -p target
	$(BIN)/pytest

test-all: setup
	mkdir -p target
	$(BIN)/pytest -m "slow or not slow"

lint: setup
	$(BIN)/ruff check python tests bench
	$(BIN)/ruff format --check python tests bench

bench: setup
	for script in bench/bench_*.py; do $(BIN)/python $$script || exit 1; done

clean:
	rm -rf target logs
