# Every target bootstraps its own virtual environment on first use: on a fresh machine,
# `make demo` and `make test` are the whole set-up.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# what the demo and the chain commands need: the package alone, without torch or transformers
BASE_STAMP := $(VENV)/.installed-base
DATA_DIR ?= instruction_data
ENGINE ?= rules
ARGS ?=

.PHONY: demo test lint browser metadata instructions publish grow bench clean

$(BASE_STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(BASE_STAMP)

# tests, lint and benchmarks: the dev tools and the local extra (torch, transformers) on top
$(STAMP): $(BASE_STAMP)
	$(BIN)/pip install --quiet -e '.[dev,local]'
	touch $(STAMP)

demo: $(BASE_STAMP)
	$(BIN)/dynosaur demo $(ARGS)

test: $(STAMP) browser
	$(BIN)/ruff check crawl hubmirror dynosaur tests bench
	$(BIN)/mypy
	$(BIN)/python -m pytest $(ARGS)

# Headless Chromium (Debian's package) for the test that opens report.html in a browser; where it
# cannot be installed, that test skips and says why.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
		{ (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 || \
		echo "chromium could not be installed: the browser test of report.html will be skipped"; }

lint: $(STAMP)
	$(BIN)/ruff check crawl hubmirror dynosaur tests bench
	$(BIN)/ruff format --check crawl hubmirror dynosaur tests bench
	$(BIN)/mypy

# Exit 3 means "done, but some datasets or requests failed; a rerun retries only those":
# the outputs are complete for everything else, so the chain goes on.
metadata: $(BASE_STAMP)
	$(BIN)/dynosaur crawl --data-dir $(DATA_DIR) $(ARGS) || [ $$? -eq 3 ]

instructions: $(BASE_STAMP)
	$(BIN)/dynosaur propose --data-dir $(DATA_DIR) --engine $(ENGINE) $(ARGS) || [ $$? -eq 3 ]
	$(BIN)/dynosaur filter --data-dir $(DATA_DIR)
	$(BIN)/dynosaur organize --data-dir $(DATA_DIR)
	$(BIN)/dynosaur decontaminate --data-dir $(DATA_DIR)

publish: $(BASE_STAMP)
	$(BIN)/dynosaur publish --data-dir $(DATA_DIR) $(ARGS)

grow: $(BASE_STAMP)
	$(BIN)/dynosaur grow --data-dir $(DATA_DIR) --engine $(ENGINE) $(ARGS)

# every benchmark runs and prints its figures; the target fails at the end if any missed its goal
bench: $(STAMP)
	@failed=""; for b in bench/*.py; do echo "== $$b"; $(BIN)/python $$b || failed="$$failed $$b"; done; \
		if [ -n "$$failed" ]; then echo "missed their goals:$$failed"; exit 1; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
