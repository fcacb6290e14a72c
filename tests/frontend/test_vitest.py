"""The dashboard's component tests (Vitest + Testing Library on jsdom) run from `make test`."""

import subprocess

import pytest

from tests.frontend.frontend_support import FRONTEND, _npm, ensure_node_modules

# jsdom and the components only: the desk's database is never met (see `.ci/run`).
pytestmark = pytest.mark.dbless


def test_vitest_component_tests_pass():
    ensure_node_modules()
    proc = subprocess.run(
        [_npm(), "run", "test", "--", "--run"],
        cwd=FRONTEND,
        capture_output=True,
        text=True,
        timeout=280,
        check=False,
    )
    assert proc.returncode == 0, f"vitest failed:\n{proc.stdout[-6000:]}\n{proc.stderr[-3000:]}"
    assert " passed" in proc.stdout
