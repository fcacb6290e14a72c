"""deploy/nginx/quantum.conf, run by nginx in front of the real app under gunicorn (ports, the
certificate and web's address substituted; nothing else changed): over HTTPS the dashboard's
login (session and CSRF) works, an authenticated API call answers, the live feed streams an
event as it happens; plain HTTP only redirects; a failed login counts against the client's
address, not the proxy's. gunicorn does not trust the proxy's X-Forwarded-Proto here
(FORWARDED_ALLOW_IPS names another address), as on the private network between hosts: Django's
QUANTUM_TLS_PROXY is what makes the request HTTPS."""

from __future__ import annotations

import datetime
import ipaddress
import os
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
import requests
from axes.models import AccessAttempt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from requests.adapters import HTTPAdapter

from apps.market.services import mark_publish
from tests.frontend.frontend_support import Gunicorn
from tests.support.processes import ROOT, free_port, wait_for
from tests.trading.test_live_feed import Feed, _mark

pytestmark = pytest.mark.django_db(transaction=True)

CONF = ROOT / "deploy" / "nginx" / "quantum.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"  # root's PATH has sbin; others may not


def render(*, upstream: str, http: int, https: int, cert: Path, key: Path) -> str:
    """The deployed file with this run's addresses: each replaced line must be there, once."""
    text = CONF.read_text()
    for old, new in (
        ("server 10.0.0.30:8025;", f"server {upstream};"),
        ("listen 80;", f"listen 127.0.0.1:{http};"),
        ("listen [::]:80;", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https} ssl http2;"),
        ("listen [::]:443 ssl http2;", ""),
        ("/etc/quantum/tls/fullchain.pem;", f"{cert};"),
        ("/etc/quantum/tls/privkey.pem;", f"{key};"),
    ):
        assert text.count(old) == 1, f"{CONF} no longer has {old!r} once"
        text = text.replace(old, new)
    return text


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return cert_path, key_path


@dataclass
class Proxy:
    https: str
    http: str
    cert: Path


def _nginx_conf(directory: Path, site: Path) -> Path:
    lines = [
        "worker_processes 1;",
        f"pid {directory}/nginx.pid;",
        f"error_log {directory}/error.log;",
        "events { worker_connections 128; }",
        "http {",
        f"  access_log {directory}/access.log;",
        *(f"  {kind}_temp_path {directory}/{kind};" for kind in ("client_body", "proxy")),
        *(f"  {kind}_temp_path {directory}/{kind};" for kind in ("fastcgi", "uwsgi", "scgi")),
        f"  include {site};",
        "}",
    ]
    if os.geteuid() == 0:
        lines.insert(0, "user root;")  # workers reach the temp dirs under a private tmp
    path = directory / "nginx.conf"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def proxy(subprocess_env, run_dir, redis_client):
    env = {
        **subprocess_env,
        "QUANTUM_TLS_PROXY": "1",
        # gunicorn trusts X-Forwarded-Proto from loopback by default; the proxy is another host
        "FORWARDED_ALLOW_IPS": "192.0.2.1",
        "LIVE_KEEPALIVE_SECONDS": "2",
    }
    gunicorn = Gunicorn(env, free_port(), run_dir / "tls-proxy-gunicorn.log", workers=1)
    directory = Path(tempfile.mkdtemp(prefix="quantum-nginx-"))
    nginx = None
    try:
        gunicorn.start()
        cert, key = self_signed(directory)
        http, https = free_port(), free_port()
        site = directory / "quantum.conf"
        site.write_text(
            render(
                upstream=f"127.0.0.1:{gunicorn.port}", http=http, https=https, cert=cert, key=key
            )
        )
        conf = _nginx_conf(directory, site)
        command = [NGINX, "-p", str(directory), "-c", str(conf), "-g", "daemon off;"]
        checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30)
        assert checked.returncode == 0, checked.stderr
        nginx = subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, start_new_session=True
        )
        wait_for(
            lambda: _answers(f"http://127.0.0.1:{http}/"), timeout=20, interval=0.1, what="nginx"
        )
        yield Proxy(https=f"https://127.0.0.1:{https}", http=f"http://127.0.0.1:{http}", cert=cert)
    finally:
        if nginx is not None:
            nginx.terminate()  # SIGTERM: a fast shutdown, workers included
            try:
                nginx.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(nginx.pid, 9)
                nginx.wait(5)
        gunicorn.stop()
        shutil.rmtree(directory, ignore_errors=True)


def _answers(url: str) -> bool:
    try:
        requests.get(url, timeout=2, allow_redirects=False)
        return True
    except requests.RequestException:
        return False


class _From(HTTPAdapter):
    """Connects from another loopback address, so the client is not where the proxy is."""

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = ("127.0.0.2", 0)
        super().init_poolmanager(*args, **kwargs)


def _browser(proxy: Proxy) -> requests.Session:
    """What a browser sends: certificate checked, and its Origin on every POST."""
    http = requests.Session()
    http.trust_env = False  # else REQUESTS_CA_BUNDLE from the environment wins over verify
    http.verify = str(proxy.cert)
    http.mount("https://", _From())
    http.headers["Origin"] = proxy.https
    http.headers["Referer"] = f"{proxy.https}/"
    return http


def _login(http: requests.Session, proxy: Proxy, username: str, password: str):
    token = http.get(f"{proxy.https}/api/auth/csrf/", timeout=10).json()["csrf_token"]
    return http.post(
        f"{proxy.https}/api/auth/login/",
        json={"username": username, "password": password},
        headers={"X-CSRFToken": token},
        timeout=10,
    )


def test_it_serves_the_dashboard_and_api_over_https_only(proxy, django_user_model):
    password = secrets.token_urlsafe(12)
    django_user_model.objects.create_user("trader", password=password)
    http = _browser(proxy)

    answer = _login(http, proxy, "trader", password)
    assert answer.status_code == 200, answer.text
    session_cookie = next(c for c in http.cookies if c.name == "sessionid")
    assert session_cookie.secure  # never sent back over plain HTTP
    assert answer.headers["Strict-Transport-Security"].startswith("max-age=")

    me = http.get(f"{proxy.https}/api/auth/me/", timeout=10)
    assert me.status_code == 200, me.text
    assert me.json()["username"] == "trader"
    # An unsafe request with the session is CSRF-checked (the login itself is not): refused
    # without the token, accepted with it, so the browser's https Origin matched this origin.
    logout = f"{proxy.https}/api/auth/logout/"
    assert http.post(logout, timeout=10).status_code == 403
    token = http.cookies["csrftoken"]  # rotated at login
    answer = http.post(logout, headers={"X-CSRFToken": token}, timeout=10)
    assert answer.status_code == 204, answer.text
    assert http.get(f"{proxy.https}/api/auth/me/", timeout=10).status_code in (401, 403)

    plain = requests.get(f"{proxy.http}/api/auth/me/?x=1", allow_redirects=False, timeout=10)
    assert plain.status_code == 301
    assert plain.headers["Location"] == "https://127.0.0.1/api/auth/me/?x=1"
    assert "Set-Cookie" not in plain.headers


def test_it_streams_the_live_feed_through_the_proxy_unbuffered(proxy, django_user_model):
    password = secrets.token_urlsafe(12)
    django_user_model.objects.create_user("trader", password=password)
    http = _browser(proxy)
    assert _login(http, proxy, "trader", password).status_code == 200
    feed = Feed(http, proxy.https)
    try:
        assert feed.response.status_code == 200
        assert feed.next_event()["event"] == "hello"
        now_ms = int(time.time() * 1000)
        sent = time.monotonic()
        mark_publish(mark=_mark("61234.5", now_ms))
        mark = feed.until("mark", lambda d: d["time_ms"] == now_ms)
        # one small frame, at once: a buffering proxy would hold it until its buffer filled
        assert time.monotonic() - sent < 3
        assert Decimal(mark["data"]["mark_price"]) == Decimal("61234.5")
    finally:
        feed.close()


def test_a_failed_login_counts_against_the_client_not_the_proxy(proxy, django_user_model):
    django_user_model.objects.create_user("trader", password=secrets.token_urlsafe(12))
    http = _browser(proxy)
    # a client cannot choose its address by sending X-Forwarded-For itself
    http.headers["X-Forwarded-For"] = "203.0.113.9"
    answer = _login(http, proxy, "trader", "wrong-password")
    assert answer.status_code in (400, 401, 403), answer.text
    assert list(AccessAttempt.objects.values_list("username", "ip_address")) == [
        ("trader", "127.0.0.2")
    ]
