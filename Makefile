# make assure   run the assurance suite against the configured provider (GPC_ENV, default: reference)
# make test     run the project's own tests
# Both first create .venv, install the pinned Python packages and the pinned npm report generator.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PY_STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
WORKERS ?=
# The project's own tests run two at a time by default (each starts its own providers).
TEST_WORKERS ?= 2
ARGS ?=

.PHONY: setup assure test cleanup faults fault-matrix clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

assure: setup
	$(PY) -m harness assure $(if $(WORKERS),-n $(WORKERS)) $(ARGS)

test: setup
	$(PY) -m pytest tests -n $(TEST_WORKERS) $(ARGS)

cleanup: setup
	$(PY) -m harness cleanup

faults: setup
	$(PY) -m reference_provider --list-faults

fault-matrix: setup
	$(PY) -m harness fault-matrix $(if $(WORKERS),--jobs $(WORKERS))

clean:
	rm -rf $(VENV) node_modules reports/allure-results reports/html reports/junit.xml
