# Two commands: `make run` installs and runs the pager on the example config; `make test` installs and runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint clean

run: $(VENV)/.installed
	$(BIN)/pager serve

# One pytest worker per core (PYTEST_XDIST_AUTO_NUM_WORKERS=N says otherwise); a test file's tests stay on one
# worker, so its module-scoped fixtures (a wheel build, a benchmark run) are built once.
test: $(VENV)/.installed
	$(BIN)/ruff check domain adapters bot tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n auto --dist loadfile

lint: $(VENV)/.installed
	$(BIN)/ruff check domain adapters bot tests bench
	$(BIN)/ruff format --check domain adapters bot tests bench
	$(BIN)/mypy

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) pager.db pager.db-wal pager.db-shm
