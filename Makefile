# Two commands do everything on a fresh Debian machine with Python 3.11 and Node.js:
#   make run   - install, build the GOV.UK Frontend assets, migrate, load the demo borough, serve
#   make test  - install the dev extra and run the whole suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test install install-dev assets migrate demo lint benchmarks clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

app/static/css/app.css: node_modules/.package-lock.json assets/app.scss assets/build.mjs
	npm run --silent build

assets: app/static/css/app.css

migrate: install
	$(BIN)/flask db upgrade

demo: migrate
	$(BIN)/flask demo

run: install assets demo
	@echo "Serving http://127.0.0.1:$(PORT) (Ctrl+C to stop)"
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# pytest-xdist on every core: each test module stays on one worker (its module fixtures are
# shared by its tests) and the browser tests share one worker, one live server and one Chromium
# (tests/conftest.py marks the groups).  `$(BIN)/python -m pytest` runs it in one process.
test: install-dev assets
	$(BIN)/python -m pytest -n auto --dist loadgroup

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

benchmarks: install
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) node_modules app/static/govuk app/static/css instance
