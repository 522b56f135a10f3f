# Two set-up commands: `make demo` and `make test`. Both create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# tensorflow-cpu has Linux and Windows wheels only; elsewhere the regular build runs on the CPU.
TF_EXTRA := $(if $(filter Linux,$(shell uname -s)),tensorflow-cpu,tensorflow)

.PHONY: demo test lint format bench clean browser

$(STAMP): pyproject.toml constraints/test.txt
	$(PYTHON) -c 'import sys; sys.exit("nncheck needs Python 3.10+") if sys.version_info < (3, 10) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check \
		-c constraints/test.txt -e ".[$(TF_EXTRA),jax,torch,lightning,dev]"
	touch $(STAMP)

# nncheck exits 1 when it finds errors; for the demo that is the expected outcome.
demo: $(STAMP)
	$(BIN)/nncheck fixtures/demo/train.py || [ $$? -eq 1 ]

# The import contract (the layers in pyproject.toml) and the types of nncheck/ and rules/.
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# The HTML report's test renders it in headless Chromium: Debian's package where apt-get can
# install it (as root, or through sudo); elsewhere that one test says why it is skipped.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ command -v apt-get >/dev/null 2>&1 && \
	  { [ "$$(id -u)" = 0 ] && SUDO= || SUDO=sudo; \
	    $$SUDO apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends \
	      chromium >/dev/null; }; } || \
	echo "note: no Chromium and no apt-get: the HTML report's browser test will be skipped"

test: lint browser
	$(BIN)/python -m pytest

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	$(BIN)/python bench/static_bench.py

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
