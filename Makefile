# Huzhu — `make run` serves the demo, `make test` runs every test. Both create .venv first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format bench clean

# The pages' front-end libraries (Leaflet) come from npm, pinned by maps/web/package-lock.json.
$(STAMP): pyproject.toml maps/web/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	npm ci --prefix maps/web --no-audit --no-fund
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/huzhu db upgrade
	$(BIN)/huzhu demo
	$(BIN)/huzhu serve

test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: $(STAMP)
	@for b in bench/*.py; do case $${b##*/} in _*) continue;; esac; \
		echo "== $$b"; $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) maps/web/node_modules .pytest_cache .ruff_cache *.egg-info
