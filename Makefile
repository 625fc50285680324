# fleetgen's front door. `make` sets everything up and runs the main job on the example fleet;
# `make test` runs the test suite.
PYTHON   ?= python3
VENV     ?= .venv
BIN      := $(VENV)/bin
# The pinned upstream files; `schemas sync` fetches the real URLs when this mirror is absent.
UPSTREAM ?= ../shared/upstream
MIRROR   := $(if $(wildcard $(UPSTREAM)),--mirror $(UPSTREAM),)

.PHONY: example install schemas render validate test bench lint clean

example: install ## set up, render the example fleet into fleet/ and validate it
	$(BIN)/fleetgen render
	$(BIN)/fleetgen validate

install: $(BIN)/fleetgen schemas ## create the venv, install fleetgen and sync the pinned schemas
	@# byte-compile the (editable) package: with PYTHONDONTWRITEBYTECODE set, every run would compile it again
	$(BIN)/python -m compileall -q fleetgen

$(BIN)/fleetgen: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

schemas: $(BIN)/fleetgen ## fetch/verify the pinned CRDs and convert them to JSON schemas
	$(BIN)/fleetgen schemas sync $(MIRROR)

render: $(BIN)/fleetgen ## render fleet/ from clusters/ and crs/
	$(BIN)/fleetgen render

validate: $(BIN)/fleetgen
	$(BIN)/fleetgen validate

test: install ## run the test suite (both cores)
	$(BIN)/python -m pytest -n 2 -q

bench: install ## benchmark render/validate on a generated fleet of 1,000 clusters (10,000 with bench/run.py --large)
	$(BIN)/python bench/run.py

lint: $(BIN)/fleetgen
	$(BIN)/ruff check fleetgen tests bench

clean:
	rm -rf $(VENV) .pytest_cache .fleetgen-cache
