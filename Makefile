# Developer tasks. `make demo` and `make test` work on a fresh machine: they
# create .venv and install the project first.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin

# llama.cpp is compiled on install. A native build (-march=native) can emit
# instructions (AMX) that virtual machines fault on, so build for a portable
# AVX2 baseline instead. Override CMAKE_ARGS to build for your own hardware.
CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON
export CMAKE_ARGS

.PHONY: setup demo test check lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[test,qwen]'
	touch $@

setup: $(BIN)/.installed

# The whole path on the embedded model: two fixture tasks served over MCP, the
# embedded assistant driven through them, the run recorded, then scored.
# Rerunning resumes (nothing is done twice); `button replay runs/demo` shows it.
demo: setup
	$(BIN)/button tasks validate fixtures/tasks.jsonl
	$(BIN)/button run fixtures/tasks.jsonl --out runs/demo --task travel.flight_then_hotel \
		--task finance.two_share_prices_then_split --max-turns 4
	$(BIN)/button score runs/demo

check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: check
	$(BIN)/pytest

bench: setup
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
