#!/usr/bin/env bash
# Reproduce the freqtrade run of docs/paper-exchange.md ("Use it with freqtrade").
# Usage: docs/examples/freqtrade/run.sh [SECONDS] (default 720). Needs freqtrade in $FT
# (default /tmp/ft/bin/freqtrade: python3.12 -m venv /tmp/ft && /tmp/ft/bin/pip install freqtrade).
set -euo pipefail
SECONDS_TO_RUN=${1:-720}
FT=${FT:-/tmp/ft/bin/freqtrade}
PORT=${PORT:-18430}
REPO=$(cd "$(dirname "$0")/../../.." && pwd)
RUN=$(mktemp -d /tmp/ftrun.XXXX)
PY="$REPO/.venv/bin/python"
export DJANGO_SETTINGS_MODULE=quantum_project.settings SECRET_KEY=${SECRET_KEY:-freqtrade-run}

cd "$REPO"
"$PY" manage.py paper_exchange --port "$PORT" --db "$RUN/venue.sqlite3" --seed 7 --speed 1 \
    > "$RUN/venue.log" 2>&1 &
VENUE=$!
trap 'kill "$VENUE" 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$PORT/fapi/v1/ping" > /dev/null; do sleep 0.5; done
"$PY" manage.py paper_exchange_account create freqtrade --balance 10000 --db "$RUN/venue.sqlite3" \
    --json 2>/dev/null | grep '^{' > "$RUN/account.json"
KEY=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['api_key'])" "$RUN/account.json")
SECRET=$("$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))['api_secret'])" "$RUN/account.json")
printf '{"exchange": {"key": "%s", "secret": "%s"}}\n' "$KEY" "$SECRET" > "$RUN/secrets.json"
sed "s/127.0.0.1:8030/127.0.0.1:$PORT/g" docs/examples/freqtrade/config.json > "$RUN/config.json"
mkdir -p "$RUN/user_data/strategies"
cp docs/examples/freqtrade/strategies/paper_venue_probe.py "$RUN/user_data/strategies/"

(cd "$RUN" && timeout -s INT "$SECONDS_TO_RUN" "$FT" trade -c config.json -c secrets.json \
    --userdir user_data --db-url "sqlite:///$RUN/tradesv3.sqlite" > freqtrade.log 2>&1) || true
"$PY" docs/examples/freqtrade/compare.py --db "$RUN/tradesv3.sqlite" --base "http://127.0.0.1:$PORT" \
    --key "$KEY" --secret "$SECRET"
echo "logs and databases in $RUN"
