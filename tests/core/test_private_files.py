"""The ledger (it holds the admin's API token and the encrypted exchange keys), its WAL and SHM,
and everything else under var/ are the owner's alone."""

import json
import os
import stat
import subprocess
import sys

from tests.support.processes import ROOT


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_desk_process_keeps_var_and_its_files_private(tmp_path):
    var = tmp_path / "var"
    (var / "models").mkdir(parents=True)
    var.chmod(0o755)
    old = var / "models" / "made-before.joblib"
    old.write_text("x")
    old.chmod(0o644)
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(QUANTUM_VAR_DIR=str(var), QUANTUM_ENV_FILE=str(tmp_path / "no.env"))
    env.setdefault("SECRET_KEY", "test-only")
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('CREATE TABLE t (x)'); c.execute('INSERT INTO t VALUES (1)')\n"
        "import os; from pathlib import Path; var = Path(os.environ['QUANTUM_VAR_DIR'])\n"
        "(var / 'desk.log').write_text('log line')\n"
        "import json, stat\n"
        "print(json.dumps({p.name: stat.S_IMODE(p.stat().st_mode) for p in var.iterdir()}))\n"
    )
    # while the connection is open: the -wal and -shm go when the last one closes
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**env, "DJANGO_SETTINGS_MODULE": "quantum_project.settings"},
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    while_open = json.loads(run.stdout.strip().splitlines()[-1])
    assert {"desk.sqlite3", "desk.sqlite3-wal", "desk.sqlite3-shm", "desk.log"} <= set(while_open)
    loose = {name: oct(m) for name, m in while_open.items() if m & 0o077}
    assert loose == {}, loose
    assert mode(var) == 0o700
    for path in var.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert mode(path) & 0o077 == 0, f"{path.name} is {oct(mode(path))}, not {oct(expected)}"
