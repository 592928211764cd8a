# The two quick-start commands: `make dev` and `make test`. Each creates .venv and
# installs what it needs on first use; private PostgreSQL and Redis are started from the
# machine's binaries unless BOOKING_DATABASE_URL / BOOKING_REDIS_URL are set.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Locked, hash-checked versions: .ci/requirements/dev.lock (tests, lint, bench) and
# .ci/requirements/prod.lock (the image). `make lock` regenerates both from pyproject.toml.
LOCK_DEV := .ci/requirements/dev.lock
LOCK_PROD := .ci/requirements/prod.lock
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml $(LOCK_DEV) | cksum | cut -d' ' -f1)
# Keeps the pins already in a lock file; only what pyproject.toml no longer allows moves.
UV_COMPILE := $(VENV)/bin/uv pip compile pyproject.toml --quiet --universal \
	--python-version 3.11 --generate-hashes --no-strip-extras \
	--custom-compile-command "make lock"
# Browser packages the server serves (server/dashboard/package.json: socket.io-client for the dashboard
# at /app/, swagger-ui-dist for /docs), and the Node client the realtime tests run.
JS_PACKAGES := server/dashboard tests/realtime/js

.PHONY: dev test lint install js bench-smoke clean lock lock-check

$(STAMP): pyproject.toml $(LOCK_DEV)
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	@$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r $(LOCK_DEV)
	@$(PY) -m pip install -q --disable-pip-version-check --no-deps -e .
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

# After editing dependencies in pyproject.toml (or merging a branch that did).
lock: install
	$(UV_COMPILE) --extra dev --extra bench -o $(LOCK_DEV)
	$(UV_COMPILE) -o $(LOCK_PROD)

# Fails when a lock file is not what `make lock` would write (CI runs it).
lock-check: install
	@tmp=$$(mktemp -d) && trap 'rm -rf '$$tmp EXIT && \
	cp $(LOCK_DEV) $(LOCK_PROD) $$tmp/ && \
	$(UV_COMPILE) --extra dev --extra bench -o $$tmp/dev.lock && \
	$(UV_COMPILE) -o $$tmp/prod.lock && \
	diff -u $(LOCK_DEV) $$tmp/dev.lock && diff -u $(LOCK_PROD) $$tmp/prod.lock && \
	echo "lock files are current"

clean:
	rm -rf .data $(VENV)
