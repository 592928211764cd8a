# syntax=docker/dockerfile:1
# The production image: the locked runtime dependencies and the wheel, nothing else
# (no dev or bench extras, no tests). Built by `docker compose build`.

# --- 1. Dependencies, hash-checked from the lock file (cached until it changes) -------
FROM python:3.11-slim-bookworm AS deps
RUN python -m venv /opt/venv
COPY .ci/requirements/prod.lock /tmp/prod.lock
RUN /opt/venv/bin/pip install --no-cache-dir --require-hashes -r /tmp/prod.lock

# --- 2. Browser assets: the packages /app/ and /docs serve, exactly as locked ----------
FROM node:22-slim AS assets
WORKDIR /assets
COPY server/dashboard/package.json server/dashboard/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# --- 3. The wheel: server, realtime, workers and sql (migrations, queries) ------------
FROM deps AS build
WORKDIR /src
COPY pyproject.toml README.md ./
COPY server ./server
COPY realtime ./realtime
COPY workers ./workers
COPY sql ./sql
RUN /opt/venv/bin/pip install --no-cache-dir --no-deps . && rm -rf /src

# --- 4. Runtime: the virtualenv, the browser packages, pg_dump/pg_restore for backups,
# an unprivileged user ------------------------------------------------------------------
FROM python:3.11-slim-bookworm
RUN apt-get update \
    && apt-get install -y --no-install-recommends postgresql-client-15 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --uid 10001 booking
COPY --from=build /opt/venv /opt/venv
COPY --from=assets /assets/node_modules /opt/booking/node_modules
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 BOOKING_NODE_MODULES=/opt/booking/node_modules
# Not the source folder: imports resolve to the installed package, as in production.
WORKDIR /home/booking
USER booking
EXPOSE 8000 9100
CMD ["python", "-m", "server", "serve", "--host", "0.0.0.0", "--port", "8000"]
