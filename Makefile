# deepgrad — `make lab`, `make test`, `make grade`, `make check`, `make bench`, `make docs`.
# Every target sets up what it needs in .venv first (python3 and make are all it assumes).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
JUPYTER := $(VENV)/bin/jupyter
# Numba's cache sits next to the kernels (lib/deepgrad/kernels/__pycache__).
export PYDEVD_DISABLE_FILE_VALIDATION := 1

.PHONY: help setup setup-dev precompile browser-deps sandbox-deps lab demos test check grade bench release docs clean

help:
	@echo "make lab    set up, precompile the kernels, open JupyterLab on the course"
	@echo "make demos  the widgets as a web app (Voila): one page each, no code (DEMOS_PORT, DEMOS_IP)"
	@echo "make test   set up and run the whole test suite"
	@echo "make check  the fast subset of the tests, for development (under 3 minutes)"
	@echo "make grade  the instructor's cycle on the demo submissions, with a score table"
	@echo "make bench  benchmarks (ratios against baselines in one process)"
	@echo "make release  regenerate release/ from source/ with nbgrader"
	@echo "make docs   regenerate the generated tables in docs/ (mutants, notebooks)"

$(VENV)/.installed: requirements.txt lib/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.txt
	$(PIP) install -q --no-deps -e "lib[instructor]"
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install -q -r requirements-dev.txt
	touch $@

setup: $(VENV)/.installed
setup-dev: $(VENV)/.installed-dev

precompile: setup
	$(PY) -m deepgrad.precompile

# Debian's chromium drives JupyterLab in the browser test (playwright's own download
# does not work offline).
browser-deps:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "chromium is missing; install Debian's chromium package (needs root or sudo)" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }

# Debian's bubblewrap runs the grading kernel in a sandbox (deepgrad_instructor.sandbox).
sandbox-deps:
	@command -v bwrap >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then SUDO=; \
	  elif command -v sudo >/dev/null 2>&1; then SUDO=sudo; \
	  else echo "bwrap is missing; install Debian's bubblewrap package (needs root or sudo)" >&2; exit 1; fi; \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq bubblewrap; }

# The venv's scripts on PATH: nbgrader runs the `alembic` command when the formgrader
# first creates gradebook.db. The course's exchange (nbgrader_config.py) must exist for the
# formgrader's Release buttons and the Assignment List.
lab: precompile
	mkdir -p .exchange
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" $(JUPYTER) lab --notebook-dir=. $$( [ "$$(id -u)" = 0 ] && echo --allow-root ) $(LAB_ARGS)

# Voila serves every notebook of demos/ as a page with no code; demos/index.ipynb lists
# them. Voila's own server has no root check (it runs as root with no flag, unlike
# jupyter lab). DEMOS_ARGS=--no-browser on a machine with no browser.
DEMOS_IP ?= localhost
DEMOS_PORT ?= 8866
demos: precompile
	@echo "The widgets: http://$(DEMOS_IP):$(DEMOS_PORT)/voila/render/index.ipynb"
	$(VENV)/bin/voila demos --Voila.ip=$(DEMOS_IP) --port=$(DEMOS_PORT) --Voila.port_retries=0 $(DEMOS_ARGS)

test: setup-dev precompile browser-deps sandbox-deps
	$(PY) -m pytest -q --durations=15 $(PYTEST_ARGS)

check: setup-dev precompile
	$(PY) -m pytest -q -m "not slow" $(PYTEST_ARGS)

grade: precompile sandbox-deps
	$(PY) -m authoring demo

# PyTorch is a baseline of the benchmarks, never a course dependency.
bench: setup-dev precompile
	$(PIP) install -q -r benchmarks/requirements.txt
	$(PY) -m benchmarks.run

release: setup
	$(VENV)/bin/deepgrad release

docs: precompile
	$(PY) -m authoring docs

clean:
	rm -rf autograded/*/ submitted feedback autograde_results gradebook.db .pytest_cache
