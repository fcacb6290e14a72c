# Quantum Trader: `make up` runs the whole stack, `make test` runs the whole suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
PYTEST_ARGS ?=

.PHONY: up test chaos multihost lint bench system-deps frontend clean api-types deploy-units

$(VENV)/.installed: requirements.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found"; exit 1; }
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

# Debian's redis-server (the embedded broker of `make up` and the tests' own Redis), chromium
# (the dashboard's end-to-end tests drive it headless), nginx (the TLS proxy's test runs
# deploy/nginx/quantum.conf) and systemd (systemd-analyze verifies deploy/systemd/'s units).
system-deps:
	@missing=""; command -v redis-server >/dev/null || missing="$$missing redis-server"; \
	  command -v chromium >/dev/null || missing="$$missing chromium"; \
	  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || missing="$$missing nginx"; \
	  command -v systemd-analyze >/dev/null || missing="$$missing systemd"; \
	  if [ -n "$$missing" ]; then \
	    if [ "$$(id -u)" = 0 ]; then echo "installing$$missing"; apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	    else echo "missing:$$missing: run 'sudo apt-get install$$missing'"; exit 1; fi; fi
	@# The package starts a system-wide Redis on 6379; the desk never uses it, so stop it.
	@if command -v systemctl >/dev/null && systemctl is-active --quiet redis-server 2>/dev/null; then systemctl stop redis-server; fi
	@# Likewise the package's nginx on port 80: the tests run their own on free ports.
	@if command -v systemctl >/dev/null && systemctl is-active --quiet nginx 2>/dev/null; then systemctl stop nginx; fi

# The dashboard's built assets, rebuilt when its sources change.
frontend/dist/index.html: frontend/package-lock.json $(shell find frontend/src frontend/public frontend/index.html -type f 2>/dev/null)
	cd frontend && npm ci --no-audit --no-fund --loglevel=error && npm run build

frontend: frontend/dist/index.html

up: $(VENV)/.installed system-deps frontend
	$(PY) -m quantum_project.envfile
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py collectstatic --noinput -v0
	$(PY) manage.py ensure_admin
	exec $(PY) manage.py up

test: $(VENV)/.installed system-deps
	$(PY) -m pytest $(PYTEST_ARGS)

# The chaos suite (docs/operations.md): the stack as `make up` runs it, its processes killed and
# its venue failing while the desk trades, then the desk compared with the venue's records.
CHAOS_MINUTES ?= 15
chaos: $(VENV)/.installed system-deps
	$(PY) -m tests.chaos --minutes $(CHAOS_MINUTES)

# The desk across hosts (docs/operations.md, "Many hosts"): network namespaces as data, venue,
# web, worker-1 and worker-2 on one machine (root), faults across them, then the desk against
# the venue. MULTIHOST_MINUTES of trading after the faults (0: the faults alone, as in the suite).
MULTIHOST_MINUTES ?= 10
multihost: $(VENV)/.installed system-deps
	$(PY) -m tests.multihost --minutes $(MULTIHOST_MINUTES)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf var .venv

# The frontend's API types from the OpenAPI schema (commit the result; a test fails when stale).
api-types: $(VENV)/.installed
	cd frontend && npm ci --no-audit --no-fund --loglevel=error
	SECRET_KEY=$${SECRET_KEY:-api-types-only} QUANTUM_ENV_FILE=$(CURDIR)/.no-env-file $(PY) manage.py api_types

# deploy/systemd/: a unit per process (apps/ops/units.py) for docs/operations.md's multi-host
# layout (web on 10.0.0.30, the venue on 10.0.0.20); tests/ops/test_systemd_units.py fails when
# they are stale. On a real host run `manage.py systemd_units --out DIR` with that host's settings.
UNITS_ENV := SECRET_KEY=units-only QUANTUM_ENV_FILE=$(CURDIR)/.no-env-file \
  REDIS_URL=redis://10.0.0.10:6379/0 QUANTUM_BIND_WEB=10.0.0.30 \
  QUANTUM_BIND_PAPER_EXCHANGE=10.0.0.20 QUANTUM_BIND_PAPER_EXCHANGE_REF=10.0.0.20
deploy-units: $(VENV)/.installed
	rm -f deploy/systemd/quantum-*.service
	$(UNITS_ENV) QUANTUM_VAR_DIR=$$(mktemp -d) $(PY) manage.py systemd_units --out deploy/systemd >/dev/null
