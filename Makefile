# make help lists the targets. Every target first creates .venv, installs the pinned Python packages
# (and the gpc-assure command) and the pinned npm report generator.
#
# CI should call .venv/bin/gpc-assure directly (after make setup): make reports any failing command
# with its own exit code 2, so the assurance exit codes (README, "Exit codes") reach the shell only
# as the command's own.

# Python 3.11, 3.12 or 3.13; the first of them found, unless PYTHON names one.
SUPPORTED_PYTHONS := 3.11 3.12 3.13
# A supported interpreter of version $(1) on PATH or installed by pyenv, or nothing.
find_python = $(firstword $(shell python$(1) -c 'import sys; print(sys.executable)' 2>/dev/null) \
	$(wildcard $(or $(PYENV_ROOT),$(HOME)/.pyenv)/versions/$(1).*/bin/python$(1)))
PYTHON ?= $(or $(firstword $(foreach v,$(SUPPORTED_PYTHONS),$(call find_python,$(v)))),$(shell command -v python3))
VENV ?= .venv
PY := $(VENV)/bin/python
GPC_ASSURE := $(VENV)/bin/gpc-assure
PY_STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
# make test prints the sign-off page in Chromium to count its A4 pages: Debian's package, installed when
# missing (as root); elsewhere set CHROMIUM to a Chromium or Chrome binary.
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || command -v google-chrome)
export CHROMIUM
WORKERS ?=
# The project's own tests run two at a time by default (each starts its own providers); a worker that runs
# out of tests takes some of the other's (worksteal), so a long one queued last does not run alone.
TEST_WORKERS ?= 2
# The project's own tests' results, read back by the clock check.
SELF_TEST := reports/self-test
ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help setup assure test lint test-pythons chromium cleanup faults fault-matrix explore clean

help:
	@echo "make setup          create .venv (pinned packages, the gpc-assure command) and the report generator"
	@echo "make assure         assure the configured provider (GPC_ENV, default: reference) and build the reports"
	@echo "                    ARGS=\"--req SLOT-TYPE-01\" or ARGS=\"--feature book_an_appointment\" selects; WORKERS=4 in parallel"
	@echo "make test           run the project's own tests, then the unit tests again with the clock moved,"
	@echo "                    and the unit tests and reference runs under the other Pythons present (3.11-3.13)"
	@echo "make lint           ruff (pinned; line length 120, pyflakes, pycodestyle, import order); make test runs it first"
	@echo "make cleanup        cancel the appointments an earlier, killed run left on the configured provider"
	@echo "make faults         list the bundled reference provider's named faults"
	@echo "make fault-matrix   prove each named fault is caught; writes reports/fault-matrix.md"
	@echo "make explore        explore the configured provider with stateful sequences of operations (Hypothesis);"
	@echo "                    ARGS=\"--budget 100 --seed 7\" or ARGS=\"--replay reports/explore/sequence-1.json\""
	@echo "make clean          remove .venv, node_modules and the generated reports"
	@echo "make help           this list"
	@echo ""
	@echo "In CI call .venv/bin/gpc-assure directly, so that its exit code (0 conformant, 1 non-conformant,"
	@echo "2 environment, 3 report, 4 configuration, 5 nothing selected) is the job's: make adds its own."

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if (3, 11) <= sys.version_info[:2] <= (3, 13) else "Python 3.11, 3.12 or 3.13 is required, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The command's own exit code is passed on; make itself turns any failure into "Error <code>" and exits 2.
assure: setup
	$(GPC_ASSURE) assure $(if $(WORKERS),-n $(WORKERS)) $(ARGS)

# Then the unit tests again with the machine's clock moved to 30 June 2027 and to the night the UK's clocks
# go forward: each must end as it did today (tools/clock_check.py).
test: setup chromium lint
	@mkdir -p $(SELF_TEST)
	$(PY) -m pytest tests -n $(TEST_WORKERS) --dist worksteal --durations=15 \
		--junitxml $(SELF_TEST)/junit.xml -o junit_family=xunit2 $(ARGS)
	$(PY) tools/clock_check.py $(SELF_TEST)/junit.xml -n $(TEST_WORKERS)
	@$(MAKE) --no-print-directory test-pythons

lint: setup
	$(PY) -m ruff check --quiet .

# The other supported interpreters present on this machine: each gets its own .venv-<version> and runs the
# unit tests and the end-to-end reference runs (make test PYTHON=... VENV=... runs everything under one).
OTHER_PYTHONS = $(strip $(foreach v,$(SUPPORTED_PYTHONS),$(if $(filter $(v),$(shell $(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')),,$(call find_python,$(v)))))
test-pythons: setup
	@for py in $(OTHER_PYTHONS); do \
	  v=$$($$py -c 'import sys; print("%d.%d" % sys.version_info[:2])'); venv=.venv-$$v; \
	  echo "Python $$v ($$py): unit tests and the reference runs in $$venv"; \
	  [ -x $$venv/bin/python ] || $$py -m venv $$venv || exit 1; \
	  $$venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]' || exit 1; \
	  $$venv/bin/python -m pytest tests/unit tests/assurance/test_reference_run.py -n $(TEST_WORKERS) -q \
	    -p no:cacheprovider || exit 1; \
	done

chromium:
ifeq ($(strip $(CHROMIUM)),)
	@echo "installing Debian's chromium (make test prints the sign-off page with it)"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null || \
	  (DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null && \
	   DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null) || \
	  (echo "make test needs Chromium: install Debian's chromium, or set CHROMIUM=/path/to/chrome" >&2; exit 1)
endif

cleanup: setup
	$(GPC_ASSURE) cleanup

faults: setup
	$(PY) -m reference_provider --list-faults

fault-matrix: setup
	$(GPC_ASSURE) fault-matrix $(if $(WORKERS),--jobs $(WORKERS))

explore: setup
	$(GPC_ASSURE) explore $(ARGS)

clean:
	rm -rf $(VENV) .venv-3.* node_modules reports/allure-results reports/html reports/junit.xml reports/run.json reports/.run $(SELF_TEST)
