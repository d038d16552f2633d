# Two commands on a fresh machine (see README):
#   make demo   — set everything up, run the main job on the bundled sample
#   make test   — set everything up, run every test (what .ci/run calls)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: demo test lint bench template clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/jsjb demo

test: $(STAMP)
	bash scripts/ensure_test_tools.sh
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: $(STAMP)
	$(VENV)/bin/ruff check .

template: $(STAMP)
	$(PY) scripts/build_template.py

bench: $(STAMP)
	$(PY) scripts/bench.py

clean:
	rm -rf $(VENV) out build *.egg-info .pytest_cache .ruff_cache
