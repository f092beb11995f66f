# Two commands on a fresh machine:  `make demo` (set up + run the main pipeline on the embedded sample)
# and `make test` (set up + run the tests). Everything installs into .venv/.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
# The CPU build of torch is pinned for this project's machines; GPU users install their own build.
TORCH_PIN ?= torch==2.13.0
SHARED_DATA ?= ../shared/data

.PHONY: setup demo test bench clean

$(BIN)/webcorpus: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q "$(TORCH_PIN)"
	$(BIN)/pip install -q -e ".[all]"
	@touch $@

setup: $(BIN)/webcorpus

demo: setup
	$(BIN)/webcorpus demo --output demo-out

test: setup
	$(BIN)/python -m pytest tests -q

clean:
	rm -rf demo-out .pytest_cache
