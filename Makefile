# drillkit: two commands on a fresh machine with Python 3.11+.
#   make demo   set up .venv if needed and run the main job on the bundled sample plan
#   make test   set up .venv if needed and run ruff, mypy and pytest
#   make bench  run every benchmark; one table of figures against targets
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean venv screenshots

venv: $(STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@$(BIN)/python -m compileall -q drill
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/drillkit demo

test: $(STAMP) lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check drill tests bench
	$(BIN)/ruff format --check drill tests bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/python -m pytest

# Every bench, then one table (figure, target, ratio, pass/fail) from bench/results.json.
# drillkit's modules are compiled first, as pip compiles an installed package: an
# editable install under PYTHONDONTWRITEBYTECODE would otherwise compile them on every
# start (0.3 s of the sample run), which no installed drillkit does.
bench: $(STAMP)
	@$(BIN)/python -m compileall -q drill
	@$(BIN)/python bench/record.py --clear
	@for b in bench/bench_*.py; do echo "== $$b"; $(BIN)/python $$b || exit 1; done
	@echo; $(BIN)/python bench/record.py

# docs/screenshots/: the console (SVG) and a report (HTML, and PNG with a headless Chromium)
screenshots: $(STAMP)
	$(BIN)/python tools/screenshots.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
