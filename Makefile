# docjobs: one gate (`make test`) and one way to run the service locally (`make run`).
# Both set themselves up: a .venv with Python 3.12 (Lambda's runtime) and every pin.

SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
# The first Python 3.12 that actually runs (a pyenv shim may exist without the version selected).
PY312 := $(shell for c in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 /usr/bin/python3.12; do \
  if $$c -c 'import sys; sys.exit(sys.version_info[:2] != (3, 12))' >/dev/null 2>&1; then command -v $$c; break; fi; done)
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: setup test lint typecheck templatecheck checkov unit integration e2e run invoke api-key credits openapi asl build sizes bench clean

$(STAMP): pyproject.toml $(wildcard layers/*/requirements.txt) requirements-dev.txt \
          clients/python/pyproject.toml functions/openapi/requirements.txt
	@test -n "$(PY312)" || { echo "Python 3.12 is needed (Lambda runtime python3.12): install it or put python3.12 on PATH"; exit 1; }
	@test -x $(BIN)/python || $(PY312) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[pipeline,dev]" -e ./clients/python \
	  -r functions/openapi/requirements.txt
	@touch $(STAMP)

setup: $(STAMP) tesseract chromium

# Tesseract is what the local OCR engine runs (Debian package tesseract-ocr).
.PHONY: tesseract
tesseract:
	@if ! command -v tesseract >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr >/dev/null; \
	  else echo "warning: tesseract-ocr is not installed (sudo apt-get install tesseract-ocr); OCR tests will fail"; fi; \
	fi

# Debian's Chromium is the browser the dashboard's end-to-end tests drive (Playwright, headless);
# Playwright never downloads a browser of its own.
.PHONY: chromium
chromium:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "warning: chromium is not installed (sudo apt-get install chromium); the dashboard tests will fail"; fi; \
	fi

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

templatecheck: $(STAMP)
	$(BIN)/cfn-lint template.yaml

# checkov (infrastructure security checks) lives in a venv of its own: its pins would fight ours.
# .checkov.yaml lists each check skipped and why.
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
$(CHECKOV_VENV)/.installed:
	@test -n "$(PY312)" || { echo "Python 3.12 is needed for checkov"; exit 1; }
	@test -x $(CHECKOV_VENV)/bin/python || $(PY312) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==$(CHECKOV_VERSION)
	@touch $@

checkov: $(CHECKOV_VENV)/.installed
	$(CHECKOV_VENV)/bin/checkov -f template.yaml --config-file .checkov.yaml

test: setup lint typecheck templatecheck checkov
	$(BIN)/pytest $(PYTEST_ARGS)

unit: setup
	$(BIN)/pytest tests/unit $(PYTEST_ARGS)

integration: setup
	$(BIN)/pytest tests/integration $(PYTEST_ARGS)

e2e: setup
	$(BIN)/pytest tests/e2e $(PYTEST_ARGS)

# The whole service on this machine: moto + the HTTP API on http://127.0.0.1:$${PORT:-3000}.
run: setup
	$(BIN)/python -m docjobs_local.server

# Docker-free `sam local invoke`: make invoke FUNCTION=GetJobFunction EVENT=events/get_job.json
invoke: setup
	@test -n "$(FUNCTION)" -a -n "$(EVENT)" || { echo "usage: make invoke FUNCTION=<logical id> EVENT=events/<file>.json"; exit 2; }
	$(BIN)/python -m docjobs_local.invoke $(FUNCTION) $(EVENT)

# Create an API key on a deployed stack: make api-key TENANT=acme STACK=docjobs [CREDITS=5000]
# Change a tenant's monthly credit limit later: make credits TENANT=acme STACK=docjobs CREDITS=10000
api-key credits: $(STAMP)
	@test -n "$(TENANT)" -a -n "$(STACK)" || { echo "usage: make $@ TENANT=<tenant> STACK=<stack name> [CREDITS=<n>]"; exit 2; }
	@test "$@" != credits -o -n "$(CREDITS)" || { echo "usage: make credits TENANT=<tenant> STACK=<stack name> CREDITS=<n, 0 = unlimited>"; exit 2; }
	@out() { aws cloudformation describe-stacks --stack-name $(STACK) --query "Stacks[0].Outputs[?OutputKey=='$$1'].OutputValue" --output text; } && \
	  $(BIN)/python -m docjobs.adapters.api_keys --tenant $(TENANT) --table "$$(out ApiKeysTableName)" \
	    --jobs-table "$$(out JobsTableName)" $(if $(CREDITS),--credits $(CREDITS)) $(if $(filter credits,$@),--no-key)

# statemachines/<type>.asl.json from statemachines/src/ (a unit test fails when they are stale).
asl: $(STAMP)
	$(BIN)/python -m docjobs_local.asl_build

openapi: $(STAMP)
	@$(BIN)/python -m docjobs.api.openapi

# sam build without Docker (needs python3.12 on PATH); SAM CLI lives in its own venv.
# TESSDATA_LANGUAGES="eng deu" chooses the OCR languages of the tessdata layer (default eng).
TESSDATA_LANGUAGES ?= eng
export TESSDATA_LANGUAGES
build: $(STAMP)
	@test -x .venv-sam/bin/sam || { $(PY312) -m venv .venv-sam && .venv-sam/bin/pip install --quiet aws-sam-cli; }
	PATH="$$(dirname $(PY312)):$$PATH" .venv-sam/bin/sam build --template template.yaml

sizes: build
	@$(BIN)/python -m bench.package_sizes

# parse_real --install: apt-get installs the Debian documentation packages whose PDFs it reads.
bench: setup
	$(BIN)/python -m bench.parse_real --install
	$(BIN)/python -m bench.parse_overhead
	$(BIN)/python -m bench.api_load
	$(BIN)/python -m bench.edit_redact
	$(BIN)/python -m bench.split_parts
	$(BIN)/python -m bench.burst --jobs 200 --cap 20 --start-rate 10

clean:
	rm -rf .aws-sam .pytest_cache .mypy_cache .ruff_cache
