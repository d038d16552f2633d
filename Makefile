# Two commands on a fresh machine (see README):
#   make demo   — install the program (run-time dependencies only), run the main job on the bundled sample
#   make test   — add the test tools, run every test (what .ci/run calls)
#   make bundle — the self-contained folder for PCs without a Python environment (dist/jsjb-…tar.gz)
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
LOG    := $(VENV)/pip.log
RUNTIME   := $(VENV)/.runtime
TESTTOOLS := $(VENV)/.test-tools

.PHONY: demo test lint bench template bundle clean

# pip's output goes to $(LOG) and is shown only when an install fails.
$(RUNTIME): pyproject.toml
	@$(PYTHON) scripts/check_python.py
	@if [ -x $(PY) ] && ! $(PY) scripts/check_python.py --quiet; then rm -rf $(VENV); fi
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	@echo "安装本工具及其运行所需的软件包（首次需要一两分钟）…"
	@$(PY) -m pip install --upgrade pip > $(LOG) 2>&1 && $(PY) -m pip install -e . >> $(LOG) 2>&1 \
		|| { tail -n 40 $(LOG); echo "安装失败，完整记录见 $(LOG)"; exit 1; }
	@touch $@

$(TESTTOOLS): $(RUNTIME)
	@echo "安装测试工具…"
	@$(PY) -m pip install -e '.[test]' >> $(LOG) 2>&1 \
		|| { tail -n 40 $(LOG); echo "安装失败，完整记录见 $(LOG)"; exit 1; }
	@touch $@

demo: $(RUNTIME)
	$(VENV)/bin/jsjb demo

test: $(TESTTOOLS)
	bash scripts/ensure_test_tools.sh
	$(VENV)/bin/ruff check .
	$(PY) -m pytest

lint: $(TESTTOOLS)
	$(VENV)/bin/ruff check .

template: $(TESTTOOLS)
	$(PY) scripts/build_template.py

bench: $(TESTTOOLS)
	$(PY) scripts/bench.py

# its own build environment (build/bundle-venv: the run-time dependencies + PyInstaller), not .venv
bundle:
	@$(PYTHON) scripts/check_python.py
	$(PYTHON) scripts/build_bundle.py

clean:
	rm -rf $(VENV) out build dist *.egg-info .pytest_cache .ruff_cache
