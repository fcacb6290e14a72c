"""Hosts on one machine: Linux network namespaces joined by a bridge, each with its own address
on a private 10.x.y.0/24, its own hostname (a UTS namespace per process, so Celery's `%h` and the
reactors' names are the host's) and the processes started in it.

Everything is named `qt-<tag>-...` (namespaces) or `qt<tag>...` (links, 15 characters at most),
with a random tag per run, so two runs on one machine never touch each other's. `Net.destroy()`
kills every process in every namespace of the run (`ip netns pids`, so a child a test forgot is
killed too), deletes the namespaces (their veth ends go with them) and the bridge; `Net.build()`
registers it with atexit before creating anything, so a failing test or a Ctrl-C leaves nothing.

Needs root, iproute2's `ip`, util-linux's `unshare` and `runuser`.
"""

from __future__ import annotations

import atexit
import ipaddress
import os
import random
import secrets
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.processes import ROOT, wait_for

PREFIX = "qt-"  # namespaces; links are "qt" + tag + suffix (IFNAMSIZ: 15 characters)


def missing() -> str | None:
    """Why hosts cannot be built here, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces, a bridge, veth links)"
    for tool in ("ip", "unshare", "runuser"):
        if shutil.which(tool) is None:
            return f"`{tool}` is not installed (iproute2, util-linux)"
    return None


def _ip(*args: str, check: bool = True) -> str:
    done = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30, check=False)
    if check and done.returncode != 0:
        raise RuntimeError(f"ip {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def namespaces() -> list[str]:
    return [line.split()[0] for line in _ip("netns", "list").splitlines() if line.strip()]


def leftovers(tag: str = "") -> list[str]:
    """Namespaces and links of a run (of any run without `tag`) still on the machine."""
    ns_prefix, link_prefix = f"{PREFIX}{tag}", f"qt{tag}"
    found = [f"netns {name}" for name in namespaces() if name.startswith(ns_prefix)]
    for line in _ip("-o", "link", "show").splitlines():
        name = line.split(":")[1].strip().split("@")[0]
        if name.startswith(link_prefix):
            found.append(f"link {name}")
    return found


def _free_subnet() -> str:
    """A 10.x.y.0/24 no interface of this machine is on."""
    used = [
        ipaddress.ip_interface(line.split()[3]).network
        for line in _ip("-4", "-o", "addr", "show").splitlines()
    ]
    rng = random.SystemRandom()
    for _ in range(200):
        net = ipaddress.ip_network(f"10.{rng.randrange(64, 250)}.{rng.randrange(0, 255)}.0/24")
        if not any(net.overlaps(other) for other in used):
            return str(net.network_address).rsplit(".", 1)[0]
    raise RuntimeError("no free 10.x.y.0/24 on this machine")


@dataclass
class Proc:
    host: str
    name: str
    argv: list[str]
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None


@dataclass
class Net:
    """The hosts (name -> last octet of its address). The machine itself is `.1` on the bridge:
    the operator's shell, from which a runner reaches every host as another host would."""

    hosts: dict[str, int]
    workdir: Path
    tag: str = field(default_factory=lambda: secrets.token_hex(3))
    subnet: str = ""
    procs: list[Proc] = field(default_factory=list)
    _destroyed: bool = False

    @property
    def bridge(self) -> str:
        return f"qt{self.tag}br"

    def ns(self, host: str) -> str:
        return f"{PREFIX}{self.tag}-{host}"

    def address(self, host: str) -> str:
        return f"{self.subnet}.{self.hosts[host]}"

    @property
    def gateway(self) -> str:
        return f"{self.subnet}.1"

    def _link(self, host: str) -> str:
        return f"qt{self.tag}{list(self.hosts).index(host):02d}"

    # --- the network ---------------------------------------------------------------------------
    def build(self) -> Net:
        atexit.register(self.destroy)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.subnet = _free_subnet()
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.gateway}/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for host in self.hosts:
            ns, link = self.ns(host), self._link(host)
            _ip("netns", "add", ns)
            _ip("link", "add", link, "type", "veth", "peer", "name", f"{link}p")
            _ip("link", "set", f"{link}p", "netns", ns)
            _ip("-n", ns, "link", "set", f"{link}p", "name", "eth0")
            _ip("-n", ns, "addr", "add", f"{self.address(host)}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "lo", "up")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("link", "set", link, "master", self.bridge, "up")
        return self

    def link_down(self, host: str) -> None:
        """The host's cable pulled: its processes run on, nothing reaches it or leaves it."""
        _ip("-n", self.ns(host), "link", "set", "eth0", "down")

    def link_up(self, host: str) -> None:
        _ip("-n", self.ns(host), "link", "set", "eth0", "up")

    # --- processes -----------------------------------------------------------------------------
    def _argv(self, host: str, argv: list[str], user: str | None) -> list[str]:
        as_user = ["runuser", "-u", user, "--"] if user else []
        return [
            "ip",
            "netns",
            "exec",
            self.ns(host),
            # its own hostname: a UTS namespace, then exec (the pid stays the program's)
            "unshare",
            "--uts",
            "--",
            "/bin/sh",
            "-c",
            'hostname "$0" && exec "$@"',
            host,
            *as_user,
            *argv,
        ]

    def spawn(
        self, host: str, name: str, argv: list[str], env: dict[str, str], user: str | None = None
    ) -> Proc:
        """A long-running process on `host`, in its own session (killed whole by its group),
        with exactly `env` as its environment, its output in <workdir>/<host>/<name>.log."""
        log_dir = self.workdir / host / "log"
        log_dir.mkdir(parents=True, exist_ok=True)
        log = log_dir / f"{name}.log"
        with open(log, "ab") as out:
            popen = subprocess.Popen(
                self._argv(host, argv, user),
                cwd=self.workdir if user else ROOT,  # another user may not read the tree
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        proc = Proc(host=host, name=name, argv=argv, popen=popen, log=log)
        self.procs.append(proc)
        return proc

    def run(
        self,
        host: str,
        argv: list[str],
        env: dict[str, str],
        user: str | None = None,
        timeout: float = 300,
        stdin: str | None = None,
    ) -> str:
        """A command run to its end on `host` (an operator's one-off); its stdout, or raises
        with its output."""
        done = subprocess.run(
            self._argv(host, argv, user),
            cwd=self.workdir if user else ROOT,
            env=env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{host}: {' '.join(argv)} exited {done.returncode}: "
                f"{done.stdout[-2000:]}{done.stderr[-3000:]}"
            )
        return done.stdout

    def find(self, host: str, name: str) -> Proc | None:
        """The newest process of that name on that host."""
        found = [p for p in self.procs if p.host == host and p.name == name]
        return found[-1] if found else None

    def kill(self, proc: Proc, sig: int = signal.SIGKILL) -> None:
        """The process and its children (its group)."""
        try:
            os.killpg(proc.popen.pid, sig)
        except ProcessLookupError:
            pass
        if sig == signal.SIGKILL:
            proc.popen.wait(10)

    def stop(self, proc: Proc, timeout: float = 20) -> None:
        """SIGTERM to the group (a warm shutdown), SIGKILL after `timeout`."""
        self.kill(proc, signal.SIGTERM)
        try:
            proc.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill(proc)

    def pids(self, host: str) -> list[int]:
        out = _ip("netns", "pids", self.ns(host), check=False)
        return [int(p) for p in out.split()]

    def kill_host(self, host: str) -> list[int]:
        """Every process of the host, at once (the machine lost its power)."""
        pids = self.pids(host)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for proc in self.procs:
            if proc.host == host:
                try:
                    proc.popen.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        return pids

    # --- the end -----------------------------------------------------------------------------
    def destroy(self) -> None:
        """Every process of every host killed, the namespaces and the bridge deleted. Safe to
        call twice and on a half-built net."""
        if self._destroyed:
            return
        self._destroyed = True
        for host in self.hosts:
            if self.ns(host) in namespaces():
                self.kill_host(host)
                try:
                    wait_for(lambda h=host: not self.pids(h), timeout=15, interval=0.1)
                except TimeoutError:
                    pass
        for proc in self.procs:  # `ip netns exec` itself, had it not exec'd yet
            if proc.popen.poll() is None:
                proc.popen.kill()
                proc.popen.wait(5)
        for host in self.hosts:
            _ip("netns", "del", self.ns(host), check=False)
            _ip("link", "del", self._link(host), check=False)
        _ip("link", "del", self.bridge, check=False)
        # a namespace's deletion is asynchronous for its links: wait until they are gone
        deadline = time.monotonic() + 10
        while leftovers(self.tag) and time.monotonic() < deadline:
            time.sleep(0.1)
