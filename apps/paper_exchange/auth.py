"""Binance request signing: X-MBX-APIKEY, HMAC-SHA256 over the `k=v&...` string, recvWindow."""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import quote

from .clock import wall_ms
from .engine.models import Account
from .errors import ApiError, missing

MAX_RECV_WINDOW = 60_000


def bad_key() -> ApiError:
    return ApiError(-2015, "Invalid API-key, IP, or permissions for action.", status=401)


def verify_signature(account: Account, pairs: list[tuple[str, str]], raw_parts: list[str]) -> None:
    """Accept the signature of the decoded pairs in the order sent (python-binance signs
    unencoded values and quotes only `symbol`), or of the raw query/body as Binance does."""
    signature = None
    unsigned: list[tuple[str, str]] = []
    for key, value in pairs:
        if key == "signature":
            signature = value
        else:
            unsigned.append((key, value))
    if not signature:
        raise missing("signature")
    candidates = {
        "&".join(f"{k}={v}" for k, v in unsigned),
        "&".join(f"{k}={quote(v) if k == 'symbol' else v}" for k, v in unsigned),
        "".join(_strip_signature(part) for part in raw_parts),
    }
    secret = account.api_secret.encode()
    for text in candidates:
        digest = hmac.new(secret, text.encode(), hashlib.sha256).hexdigest()
        if hmac.compare_digest(digest, signature.lower()):
            return
    raise ApiError(-1022, "Signature for this request is not valid.")


def _strip_signature(raw: str) -> str:
    kept = [p for p in raw.split("&") if p and not p.startswith("signature=")]
    return "&".join(kept)


def check_timestamp(timestamp: str | None, recv_window: str | None) -> None:
    """Against the wall clock, not the (possibly faster) exchange clock: clients sign real time."""
    if not timestamp:
        raise missing("timestamp")
    try:
        ts = int(timestamp)
        window = int(recv_window) if recv_window else 5000
    except ValueError:
        raise missing("timestamp" if not timestamp.isdigit() else "recvWindow") from None
    if window <= 0 or window > MAX_RECV_WINDOW:
        raise ApiError(-1131, "recvWindow must be less than 60000")
    now = wall_ms()
    if ts >= now + 1000:
        raise ApiError(-1021, "Timestamp for this request was 1000ms ahead of the server's time.")
    if now - ts > window:
        raise ApiError(-1021, "Timestamp for this request is outside of the recvWindow.")
