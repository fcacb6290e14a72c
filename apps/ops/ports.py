"""The port map: every service's port, bind address and who holds it right now.

The old desk chose ports by hand and checked them with netstat; here the table lives in
settings.PORTS and this module reads the kernel's socket table to say who listens where.
"""

from dataclasses import dataclass

import psutil
from django.conf import settings

# How to recognise our own holder of a service's port, from its command line.
SIGNATURES = {
    "web": ("gunicorn",),
    "frontend": ("gunicorn",),
    "flower": ("flower",),
    "redis": ("redis-server",),
    "paper_exchange": ("paper_exchange",),
    "paper_exchange_ref": ("paper_exchange",),
}


@dataclass(frozen=True)
class PortStatus:
    service: str
    port: int
    bind: str
    what: str
    holder: str | None  # "name[pid]" of the listening process, None when free
    ours: bool
    conflict: str | None  # why this row is a conflict, None when it is fine

    @property
    def listening(self) -> bool:
        return self.holder is not None


def _listeners() -> dict[int, list]:
    by_port: dict[int, list] = {}
    for conn in psutil.net_connections(kind="tcp"):
        if conn.status == psutil.CONN_LISTEN and conn.laddr:
            by_port.setdefault(conn.laddr.port, []).append(conn)
    return by_port


def _describe(pid: int | None) -> tuple[str, str]:
    if pid is None:
        return "unknown process", ""
    try:
        proc = psutil.Process(pid)
        return f"{proc.name()}[{pid}]", " ".join(proc.cmdline())
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return f"pid {pid}", ""


def port_map(*, services: dict | None = None, expect_free: bool = False) -> list[PortStatus]:
    """One row per service. A conflict is two services on one port, or a port held by a process
    that is not the service's own (with `expect_free`, any holder at all)."""
    services = services if services is not None else settings.PORTS
    listeners = _listeners()
    seen: dict[int, str] = {}
    rows = []
    for name, spec in services.items():
        port = int(spec["port"])
        conflict = None
        if port in seen:
            conflict = f"port {port} is configured for both {seen[port]} and {name}"
        seen.setdefault(port, name)
        holder = None
        ours = False
        conns = listeners.get(port, [])
        if conns:
            holder, cmdline = _describe(conns[0].pid)
            ours = not expect_free and any(sig in cmdline for sig in SIGNATURES.get(name, ()))
            if conflict is None and not ours:
                conflict = f"port {port} ({name}) is held by {holder}"
        rows.append(
            PortStatus(
                service=name,
                port=port,
                bind=spec["bind"],
                what=spec["what"],
                holder=holder,
                ours=ours,
                conflict=conflict,
            )
        )
    return rows


def exposure(bind: str) -> str:
    return "loopback only" if bind.startswith("127.") or bind in ("::1", "localhost") else "NETWORK"
