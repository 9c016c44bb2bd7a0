# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

REGAPI_HOST ?= 127.0.0.1
REGAPI_PORT ?= 8000
export REGAPI_HOST REGAPI_PORT

.PHONY: run test lint typecheck schema check clean redis-server readme-tools browser screenshots bench

# The attempt-limit tests run against a real Redis; install it where it is missing (CI runs as root).
redis-server:
	@command -v redis-server >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; } \
	  || echo "redis-server could not be installed: the tests that need it will be skipped"

# The hosted pages' tests (tests/browser) drive Debian's Chromium through its chromedriver; install both
# where missing (browsers cannot be downloaded here, so never a browser build of Selenium's or Playwright's).
browser:
	@{ command -v chromium && command -v chromedriver; } >/dev/null 2>&1 \
	  || { apt-get update -qq && apt-get install -y -qq chromium chromium-driver >/dev/null; } \
	  || echo "chromium and chromium-driver could not be installed: the browser tests will be skipped"

# tests/test_readme.py runs the README's examples, which call curl and jq; install them where missing.
readme-tools:
	@missing=""; for tool in curl jq; do command -v $$tool >/dev/null 2>&1 || missing="$$missing $$tool"; done; \
	  [ -z "$$missing" ] || { apt-get update -qq && apt-get install -y -qq $$missing >/dev/null; } \
	  || echo "$$missing could not be installed: tests/test_readme.py will fail"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Reinstall when pyproject.toml changes, not on every run.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/regapi serve

# The one list of lint and type checks: `make test` runs these targets, and the README lists them.
lint: $(STAMP)
	$(BIN)/ruff check api tests bench examples
	$(BIN)/ruff format --check api tests bench examples

typecheck: $(STAMP)
	$(BIN)/mypy api

test: lint typecheck redis-server readme-tools browser
	$(BIN)/python -m pytest

# Issue 15's figures, each beside its anchor measured in the same run (bench/perf.py), never part of `make test`;
# `make bench BENCH_ARGS=--quick` for a short run. It installs wrk where missing and only targets 127.0.0.1.
bench: $(STAMP)
	$(BIN)/python bench/perf.py $(BENCH_ARGS)

# The README's pictures of the pages (docs/screenshots), taken on demand, never by `make test`. The Japanese
# pages need a font with Japanese glyphs on the machine taking them.
screenshots: $(STAMP) browser
	@fc-list :lang=ja | grep -q . || { apt-get update -qq && apt-get install -y -qq fonts-noto-cjk >/dev/null; }
	$(BIN)/python -m tests.browser.screenshots docs/screenshots

schema: $(STAMP)
	$(BIN)/regapi export-schema > schema.graphql
	$(BIN)/regapi policy schema > policies/policy.schema.json

check: $(STAMP)
	$(BIN)/regapi policy check policies/

clean:
	rm -rf $(VENV)
