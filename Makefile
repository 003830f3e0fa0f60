# Two commands a newcomer needs (see README):
#   make run   - create .venv if missing, install runtime deps, serve the dashboard on 127.0.0.1:8501
#   make test  - create .venv if missing, install dev deps, run ruff, mypy and every pytest test
# Other targets: make bench (benchmarks), make accuracy (regenerate docs/accuracy.md),
#   make presets-table (regenerate the README presets table), make fuzz (long Hypothesis run),
#   make load (load test against a real server).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test lint typecheck pytest bench accuracy presets-table fuzz load clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

run: $(VENV)/.runtime-installed
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(PY) -m mypy

pytest: $(VENV)/.dev-installed
	$(PY) -m pytest

test: lint typecheck pytest

bench: $(VENV)/.dev-installed
	$(PY) scripts/bench.py --write

accuracy: $(VENV)/.runtime-installed
	$(PY) scripts/accuracy_report.py

presets-table: $(VENV)/.runtime-installed
	$(PY) scripts/presets_table.py --write

fuzz: $(VENV)/.dev-installed
	FUZZ_EXAMPLES=10000 $(PY) -m pytest -m fuzz -p no:cacheprovider tests/fuzz

load: $(VENV)/.dev-installed
	$(PY) scripts/load_test.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
