# Two commands: `make run` serves the app with sample data; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test test-fast smoke lint format clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/tracker init --sample
	$(BIN)/streamlit run app.py

# Every test but the browser journeys, spread over every core a module at a time (so a
# module's fixtures are built once); then the journeys alone, as they time a real server.
PARALLEL := -n auto --dist loadscope

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PARALLEL) --ignore=tests/e2e
	$(BIN)/python -m pytest tests/e2e

# The quick loop while working: unit and app tests on SQLite, no browser, nothing slow.
test-fast: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PARALLEL) -m "not slow" --store sqlite --ignore=tests/e2e

# Two app replicas behind nginx on one PostgreSQL (docs/deploy.md); CI runs it after test.
smoke: $(STAMP)
	bash scripts/replicas-smoke.sh

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
