"""`manage.py paper_exchange_account`: create (human or --json) and list."""

import json
import subprocess
import sys
from decimal import Decimal

from tests.support.paper_exchange import REPO, _env, wallet


def _run(*args):
    return subprocess.run(
        [sys.executable, str(REPO / "manage.py"), "paper_exchange_account", *args],
        cwd=REPO,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_it_creates_a_funded_account_and_prints_its_keys_as_json(venue):
    created = venue.create_account("json-desk", balance="2500.5")
    assert set(created) == {"id", "name", "api_key", "api_secret", "balance", "asset"}
    assert created["name"] == "json-desk" and created["balance"] == "2500.5"
    assert len(created["api_key"]) == 64 and len(created["api_secret"]) == 64
    client = venue.client(created)  # the running venue picks the new account up
    assert wallet(client) == Decimal("2500.5")
    assert client.futures_income_history()[0]["incomeType"] == "TRANSFER"


def test_it_refuses_a_second_account_with_the_same_name(venue):
    venue.create_account("unique-desk")
    again = _run("create", "unique-desk", "--db", str(venue.db_path), "--json")
    assert again.returncode != 0 and "already exists" in again.stderr


def test_it_lists_accounts_without_their_secrets(venue):
    created = venue.create_account("listed-desk")
    listed = _run("list", "--db", str(venue.db_path), "--json")
    rows = json.loads(listed.stdout)
    row = next(r for r in rows if r["name"] == "listed-desk")
    assert row["api_key"] == created["api_key"] and "api_secret" not in row
    human = _run("create", "human-desk", "--balance", "100", "--db", str(venue.db_path))
    assert "API secret:" in human.stdout
