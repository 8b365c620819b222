# The two commands a newcomer needs: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: test demo venv controlplane lint unit integration clean

$(STAMP): pyproject.toml emulator/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]' -e ./emulator
	touch $(STAMP)

venv: $(STAMP)

controlplane: $(STAMP)
	$(PY) hack/controlplane.py build

lint: $(STAMP)
	$(VENV)/bin/ruff check operator emulator tests hack bench
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

test: lint controlplane
	$(PY) -m pytest $(PYTEST_ARGS)

demo: controlplane
	$(PY) hack/demo.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
