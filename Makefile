# Soko's commands. `make dev` runs the bot locally; `make check` lints, type-checks and tests.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.txt requirements-dev.txt | cksum | cut -d' ' -f1)

.PHONY: install checkov dev logs test lint typecheck check bench audit clean

install: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	rm -f $(VENV)/.installed-*
	touch $@

# checkov (the Terraform security scan, run by the tests) lives in its own venv: it is ~290 MB,
# pins packaging==23.2 and ships bc-python-hcl2, whose `hcl2` module would shadow python-hcl2.
CHECKOV_VERSION := 3.3.30
CHECKOV_STAMP := .venv-checkov/.installed-$(CHECKOV_VERSION)

checkov: $(CHECKOV_STAMP)

$(CHECKOV_STAMP):
	$(PYTHON) -m venv .venv-checkov
	.venv-checkov/bin/pip install --quiet --disable-pip-version-check checkov==$(CHECKOV_VERSION)
	rm -f .venv-checkov/.installed-*
	touch $@

# `make dev KEEP=1` keeps the data in .dev/data from one run to the next (docs/local.md).
dev: install
	$(BIN)/python -m infra.local.dev $(if $(filter-out 0,$(KEEP)),--keep-data)

# Every process of `make dev`, merged and prefixed; run it in a second terminal.
logs:
	@mkdir -p .dev/logs && touch .dev/logs/all.log
	tail -n 50 -F .dev/logs/all.log

# One worker per core. Every test on the emulators is one group, run on one worker in turn
# (two local stacks of ~30 functions each would overload a small machine); the other workers
# take the rest a file at a time, so a module's fixtures start once (tests/conftest.py).
# `make test TEST_JOBS=0` runs everything in this process.
TEST_JOBS ?= auto

test: install
	$(BIN)/pytest -n $(TEST_JOBS) --dist loadgroup

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

check: lint typecheck checkov test

bench: install
	$(BIN)/python -m tests.bench

# Replays the configured store (SOKO_* settings) and exits 1 naming streams whose money does
# not add up: a credit without its payment, a payment credited twice or never, a drifted view.
audit: install
	$(BIN)/python -m functions.ops.ledger

clean:
	rm -rf $(VENV) .venv-checkov build .pytest_cache .mypy_cache .ruff_cache .hypothesis
