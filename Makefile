# Two commands a newcomer needs (see README):
#   make run   - create .venv if missing, install runtime deps, serve the dashboard on 127.0.0.1:8501
#   make test  - create .venv if missing, install dev deps, run ruff, mypy and every pytest test
# Other targets: make bench (benchmarks), make accuracy (regenerate docs/accuracy.md),
#   make presets-table (regenerate the README presets table), make corpus-table (regenerate
#   docs/model-corpus.md: the config reader on the real-config corpus), make fuzz (long Hypothesis run),
#   make load (load test against a real server), make messages (extract the text people read into
#   locale/messages.pot and update every language's .po), make catalogs (compile .po -> .mo).

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8501

.PHONY: run test lint typecheck pytest bench accuracy presets-table corpus-table fuzz load clean messages catalogs

# Message catalogs, one per language (dashboard/i18n.py): the .po files are committed, the .mo
# files are compiled from them here (and by the app in memory when missing).
PO_FILES := $(wildcard locale/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

catalogs: $(MO_FILES)

locale/%/LC_MESSAGES/messages.mo: locale/%/LC_MESSAGES/messages.po | $(VENV)/.runtime-installed
	$(VENV)/bin/pybabel compile --statistics -l $* -i $< -o $@

messages: $(VENV)/.runtime-installed
	$(VENV)/bin/pybabel extract -F babel.cfg -k Message --no-location --sort-output --no-wrap \
		--project=llm-vram-planner --version=0.1.0 -o locale/messages.pot .
	$(VENV)/bin/pybabel update -i locale/messages.pot -d locale --no-fuzzy-matching \
		--ignore-obsolete --no-wrap
	sed -i '/^"POT-Creation-Date: /d' locale/messages.pot locale/*/LC_MESSAGES/messages.po  # no merge conflicts over a time stamp
	$(MAKE) catalogs

run: $(VENV)/.runtime-installed catalogs
	$(PY) -m streamlit run app.py --server.address 127.0.0.1 --server.port $(PORT) \
		--server.headless true --browser.gatherUsageStats false

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(VENV)/.dev-installed
	$(PY) -m mypy

pytest: $(VENV)/.dev-installed catalogs
	$(PY) -m pytest

test: lint typecheck pytest

bench: $(VENV)/.dev-installed catalogs
	$(PY) scripts/bench.py --write

accuracy: $(VENV)/.runtime-installed
	$(PY) scripts/accuracy_report.py

presets-table: $(VENV)/.runtime-installed
	$(PY) scripts/presets_table.py --write

corpus-table: $(VENV)/.runtime-installed
	$(PY) scripts/corpus_table.py --write

fuzz: $(VENV)/.dev-installed
	FUZZ_EXAMPLES=10000 $(PY) -m pytest -m fuzz -p no:cacheprovider tests/fuzz

load: $(VENV)/.dev-installed
	$(PY) scripts/load_test.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
