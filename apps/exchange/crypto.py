"""Field encryption for exchange credentials: Fernet keys from settings.FIELD_ENCRYPTION_KEYS.

The first key encrypts, every key decrypts (MultiFernet), so a key is rotated by putting the new
one first, running `manage.py exchange_account rotate_keys` (re-encrypts every row with it), then
dropping the old key. See docs/pnl.md.
"""

from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class DecryptionFailed(Exception):
    """No configured key opens this ciphertext (a key was dropped before rotating)."""


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS is empty: set at least one Fernet key")
    try:
        return MultiFernet([Fernet(key.encode()) for key in keys])
    except ValueError:
        # Never echo the value: it is a secret.
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64 bytes; make one with Fernet.generate_key())"
        ) from None


def _current() -> MultiFernet:
    return _fernet(tuple(k.strip() for k in settings.FIELD_ENCRYPTION_KEYS if k.strip()))


def encrypt(plaintext: str) -> str:
    return _current().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return _current().decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed(
            "no configured FIELD_ENCRYPTION_KEYS key decrypts this value"
        ) from None


def rotate(ciphertext: str) -> str:
    """The same plaintext encrypted with the first key (a no-op in meaning, new token)."""
    try:
        return _current().rotate(ciphertext.encode()).decode()
    except InvalidToken:
        raise DecryptionFailed(
            "no configured FIELD_ENCRYPTION_KEYS key decrypts this value"
        ) from None


def mask(value: str) -> str:
    """`abcd…wxyz`: enough to tell two keys apart, never enough to use one."""
    if len(value) <= 12:
        return "…"
    return f"{value[:4]}…{value[-4:]}"
