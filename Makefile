# The two quick-start commands: `make dev` and `make test`. Each creates .venv and
# installs what it needs on first use; private PostgreSQL and Redis are started from the
# machine's binaries unless BOOKING_DATABASE_URL / BOOKING_REDIS_URL are set.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
# Browser packages the server serves (server/dashboard/package.json: socket.io-client for the dashboard
# at /app/, swagger-ui-dist for /docs), and the Node client the realtime tests run.
JS_PACKAGES := server/dashboard tests/realtime/js

.PHONY: dev test lint install js bench-smoke clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

install: $(STAMP)

# `npm ci` installs exactly package-lock.json; re-run only when the lock file changes.
js:
	@command -v npm >/dev/null || { echo "npm not found: the dashboard (/app/) and /docs need it (apt-get install npm)"; exit 0; }; \
	for dir in $(JS_PACKAGES); do \
		if [ ! -f $$dir/node_modules/.package-lock.json ] || [ $$dir/package-lock.json -nt $$dir/node_modules/.package-lock.json ]; then \
			(cd $$dir && npm ci --silent --no-audit --no-fund) || exit 1; \
		fi; \
	done

dev: install js
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
