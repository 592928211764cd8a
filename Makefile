# The two quick-start commands: `make dev` and `make test`. Each creates .venv and
# installs what it needs on first use; private PostgreSQL and Redis are started from the
# machine's binaries unless BOOKING_DATABASE_URL / BOOKING_REDIS_URL are set.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
JS_CLIENT := tests/realtime/js

.PHONY: dev test lint install js bench-smoke clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

js:
	@if [ -f $(JS_CLIENT)/package.json ] && command -v npm >/dev/null; then \
		cd $(JS_CLIENT) && (npm ci --silent --no-audit --no-fund || npm install --silent --no-audit --no-fund); \
	fi

dev: install
	$(PY) -m server dev

test: install js
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports

bench-smoke: install
	$(PY) -m bench smoke

clean:
	rm -rf .data $(VENV)
