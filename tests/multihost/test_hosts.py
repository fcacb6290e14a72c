"""The hosts themselves: separate addresses and hostnames that reach each other over the bridge,
a pulled cable, and nothing left on the machine afterwards, even when the run dies failing."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.multihost import hosts
from tests.support.processes import ROOT, wait_for

pytestmark = [
    pytest.mark.multihost,
    pytest.mark.skipif(bool(hosts.missing()), reason=f"multihost: {hosts.missing()}"),
]

FETCH = "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read())"


@pytest.fixture
def net(tmp_path):
    built = hosts.Net(hosts={"a": 10, "b": 20}, workdir=tmp_path).build()
    yield built
    built.destroy()


def _env() -> dict[str, str]:
    return {"PATH": "/usr/bin:/bin:/usr/sbin:/sbin"}


def test_it_gives_each_host_its_address_and_name_reachable_over_the_bridge(net, tmp_path):
    server, url = _serve_from_a(net, tmp_path)
    assert net.run("b", ["hostname"], _env()).strip() == "b"
    assert net.address("a") in net.run("a", ["ip", "-4", "-o", "addr", "show", "eth0"], _env())
    # bound to a's private address only: a's own loopback does not reach it
    assert not _fetch(net, "a", "http://127.0.0.1:8000/index.html")
    assert server.alive()


def test_it_cuts_a_host_off_and_plugs_it_back(net, tmp_path):
    _, url = _serve_from_a(net, tmp_path)
    net.link_down("a")
    assert not _fetch(net, "b", url)
    net.link_up("a")
    wait_for(lambda: _fetch(net, "b", url), timeout=20, interval=0.2, what="a back")


def test_it_leaves_nothing_behind(tmp_path):
    net = hosts.Net(hosts={"a": 10, "b": 20}, workdir=tmp_path).build()
    proc = net.spawn("a", "sleeper", ["sleep", "600"], _env())
    assert hosts.leftovers(net.tag)
    net.destroy()
    assert hosts.leftovers(net.tag) == []
    assert proc.popen.poll() is not None


def test_it_leaves_nothing_behind_when_the_run_fails(tmp_path):
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from tests.multihost.hosts import Net
        net = Net(hosts={{"a": 10, "b": 20}}, workdir=Path({str(tmp_path)!r})).build()
        net.spawn("b", "sleeper", ["sleep", "613"], {{"PATH": "/usr/bin:/bin"}})
        print(net.tag, flush=True)
        raise SystemExit("the run failed")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    tag = done.stdout.strip()
    assert tag
    assert hosts.leftovers(tag) == []
    assert (
        "sleep 613"
        not in subprocess.run(
            ["ps", "-eo", "args"], capture_output=True, text=True, check=True
        ).stdout
    )


def _serve_from_a(net: hosts.Net, root) -> tuple[hosts.Proc, str]:
    """An HTTP server on a's private address, reached from b."""
    (root / "index.html").write_text("from a")
    argv = [
        sys.executable,
        "-m",
        "http.server",
        "8000",
        "--bind",
        net.address("a"),
        "-d",
        str(root),
    ]
    server = net.spawn("a", "http", argv, _env())
    url = f"http://{net.address('a')}:8000/index.html"
    wait_for(lambda: _fetch(net, "b", url), timeout=20, interval=0.2, what="a's server from b")
    return server, url


def _fetch(net: hosts.Net, host: str, url: str) -> bool:
    try:
        return "from a" in net.run(host, [sys.executable, "-c", FETCH, url], _env(), timeout=10)
    except RuntimeError:
        return False
