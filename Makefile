# Two commands: `make run` installs and runs the pager on the example config; `make test` installs and runs every test.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: run test lint clean

run: $(VENV)/.installed
	$(BIN)/pager serve

test: $(VENV)/.installed
	$(BIN)/ruff check domain adapters bot tests bench
	$(BIN)/mypy
	$(BIN)/pytest

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
