"""Model artifacts on disk: written and read only under settings.INTEL_MODEL_DIR, and read only
when the file's sha256 is the one the registry recorded. A pickle runs code when loaded, so a
file from anywhere else, or altered since training, is refused rather than trusted."""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path
from typing import Any

import joblib
from django.conf import settings


class ArtifactRefused(Exception):
    """The artifact is outside the model directory or its hash does not match the registry."""


_CACHE: dict[tuple[str, str], Any] = {}


def model_dir() -> Path:
    path = Path(settings.INTEL_MODEL_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path.resolve()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def artifact_save(*, payload: dict[str, Any], stem: str) -> tuple[str, str]:
    """Dump to a new file in the model dir; returns (path relative to the dir, sha256)."""
    name = f"{stem}-{secrets.token_hex(4)}.joblib"
    path = model_dir() / name
    joblib.dump(payload, path)
    return name, sha256_file(path)


def artifact_load(*, relative_path: str, sha256: str) -> dict[str, Any]:
    key = (relative_path, sha256)
    if key in _CACHE:
        return _CACHE[key]
    base = model_dir()
    path = (base / relative_path).resolve()
    if not path.is_relative_to(base) or not path.is_file():
        raise ArtifactRefused(f"{relative_path}: not a file of {base}")
    actual = sha256_file(path)
    if actual != sha256:
        raise ArtifactRefused(f"{relative_path}: sha256 {actual} != registered {sha256}")
    payload = joblib.load(path)  # noqa: S301 - our own file, hash checked just above
    _CACHE[key] = payload
    return payload
