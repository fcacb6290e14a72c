"""Desk-side exchange errors: what the caller may retry and what it must not."""

# Binance error codes the desk acts on (../shared/binance-futures.md)
CANCEL_REJECTED = -2011  # the order is not open (filled, cancelled, or never there)
ORDER_NOT_FOUND = -2013
DUPLICATE_CLIENT_ID = -4116
LISTEN_KEY_MISSING = -1125  # PUT /listenKey on a key that lapsed: a new one is needed


class ExchangeError(Exception):
    """Any failure talking to the exchange. Messages never carry credentials."""

    def __init__(self, message: str, *, status: int | None = None, code: int | None = None):
        super().__init__(message)
        self.status = status
        self.code = code


class RetryableExchangeError(ExchangeError):
    """Rate limits, bans, 5xx, unknown execution status, timeouts, dropped connections, clock
    skew: the same call may succeed later. `retry_after` is the venue's own hint in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kw) -> None:
        super().__init__(message, **kw)
        self.retry_after = retry_after


class FatalExchangeError(ExchangeError):
    """A request the venue refuses as such (bad parameters, bad key): retrying cannot help."""


class PayloadError(ExchangeError):
    """The venue answered 2xx with a body the desk cannot trust (missing field, not a number,
    NaN or Infinity). Nothing derived from such a body is stored."""
