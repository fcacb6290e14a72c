"""`manage.py ports`: the port map, who listens, and conflicts."""

import os
import re
import socket

import psutil
import pytest
from django.core.management import CommandError, call_command

from apps.ops.ports import port_map
from tests.support.processes import free_port


def services(**ports: int) -> dict:
    return {name: {"port": port, "bind": "127.0.0.1", "what": name} for name, port in ports.items()}


def test_it_lists_every_service_with_address_and_exposure(capsys, settings):
    call_command("ports")
    out = capsys.readouterr().out
    for name, spec in settings.PORTS.items():
        assert name in out
        assert f"{spec['bind']}:{spec['port']}" in out
    assert "loopback only" in out


def test_it_binds_everything_to_loopback_by_default(settings):
    assert {spec["bind"] for spec in settings.PORTS.values()} == {"127.0.0.1"}


def test_it_reports_a_free_port_as_free():
    port = free_port()
    (row,) = port_map(services=services(web=port))
    assert row.holder is None and row.conflict is None


def test_it_names_a_foreign_holder_as_a_conflict():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        (row,) = port_map(services=services(web=port))
    assert row.conflict == f"port {port} (web) is held by {row.holder}"
    assert row.holder == f"{psutil.Process().name()}[{os.getpid()}]"  # this test process


def test_it_flags_two_services_on_one_port():
    port = free_port()
    rows = port_map(services=services(web=port, flower=port))
    assert rows[1].conflict == f"port {port} is configured for both web and flower"


def test_the_command_fails_naming_port_and_holder(settings):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        settings.PORTS = {**settings.PORTS, "web": {**settings.PORTS["web"], "port": port}}
        me = re.escape(f"{psutil.Process().name()}[{os.getpid()}]")
        with pytest.raises(CommandError, match=rf"port {port} \(web\) is held by {me}"):
            call_command("ports")


@pytest.mark.django_db
def test_the_api_serves_the_port_map_to_authenticated_users_only(admin_client, client, settings):
    assert client.get("/api/ops/ports/").status_code in (401, 403)
    rows = admin_client.get("/api/ops/ports/").json()["ports"]
    assert [row["service"] for row in rows] == list(settings.PORTS)
    assert {row["exposure"] for row in rows} == {"loopback only"}
