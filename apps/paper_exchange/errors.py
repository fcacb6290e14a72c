"""Binance error bodies: `{"code": -N, "msg": "..."}` with the HTTP status Binance uses."""

from __future__ import annotations


class ApiError(Exception):
    def __init__(self, code: int, msg: str, status: int = 400) -> None:
        super().__init__(msg)
        self.code = code
        self.msg = msg
        self.status = status

    def body(self) -> dict[str, object]:
        return {"code": self.code, "msg": self.msg}


def missing(name: str) -> ApiError:
    return ApiError(
        -1102, f"Mandatory parameter '{name}' was not sent, was empty/null, or malformed."
    )


def invalid_symbol() -> ApiError:
    return ApiError(-1121, "Invalid symbol.")


def bad_precision() -> ApiError:
    return ApiError(-1111, "Precision is over the maximum defined for this asset.")


def unknown_order() -> ApiError:
    return ApiError(-2013, "Order does not exist.")


def cancel_rejected() -> ApiError:
    return ApiError(-2011, "Unknown order sent.")


def reduce_only_rejected() -> ApiError:
    return ApiError(-2022, "ReduceOnly Order is rejected.")


def margin_insufficient() -> ApiError:
    return ApiError(-2019, "Margin is insufficient.")


def duplicate_client_id() -> ApiError:
    return ApiError(-4116, "ClientOrderId is duplicated.")


def bad_param(name: str) -> ApiError:
    return ApiError(-1130, f"Data sent for parameter '{name}' is not valid.")


TOO_MANY_REQUESTS = (
    "Too many requests; current limit of IP(%s) is %d requests per minute. "
    "Please use the websocket for live updates to avoid polling the API."
)
