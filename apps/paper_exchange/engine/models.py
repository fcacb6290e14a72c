"""The venue's records. Decimals in memory, decimal strings in the JSON documents stored."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

T = TypeVar("T", bound="Record")

OPEN_STATUSES = frozenset({"NEW", "PARTIALLY_FILLED"})


class Record:
    DECIMALS: ClassVar[frozenset[str]] = frozenset()

    def to_doc(self) -> str:
        data = asdict(self)  # type: ignore[call-overload]
        return json.dumps({k: str(v) if isinstance(v, Decimal) else v for k, v in data.items()})

    @classmethod
    def from_doc(cls: type[T], doc: str) -> T:
        data = json.loads(doc)
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        values = {
            k: (Decimal(v) if k in cls.DECIMALS and v is not None else v)
            for k, v in data.items()
            if k in names
        }
        return cls(**values)


@dataclass
class Order(Record):
    DECIMALS: ClassVar[frozenset[str]] = frozenset(
        {"price", "orig_qty", "executed_qty", "cum_quote", "stop_price", "avg_price"}
    )
    order_id: int
    account_id: int
    symbol: str
    client_order_id: str
    side: str
    type: str
    orig_type: str
    time_in_force: str
    price: Decimal
    orig_qty: Decimal
    executed_qty: Decimal = Decimal(0)
    cum_quote: Decimal = Decimal(0)
    avg_price: Decimal = Decimal(0)
    stop_price: Decimal = Decimal(0)
    reduce_only: bool = False
    close_position: bool = False
    working_type: str = "CONTRACT_PRICE"
    price_protect: bool = False
    status: str = "NEW"
    time_ms: int = 0
    update_ms: int = 0

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def remaining(self) -> Decimal:
        return self.orig_qty - self.executed_qty


@dataclass
class AlgoOrder(Record):
    DECIMALS: ClassVar[frozenset[str]] = frozenset(
        {"quantity", "trigger_price", "price", "activate_price", "callback_rate", "extreme"}
    )
    algo_id: int
    account_id: int
    symbol: str
    client_algo_id: str
    order_type: str
    side: str
    time_in_force: str
    quantity: Decimal
    trigger_price: Decimal
    price: Decimal
    working_type: str
    close_position: bool
    price_protect: bool
    reduce_only: bool
    activate_price: Decimal | None = None
    callback_rate: Decimal | None = None
    # Trailing stops: the best price seen since activation (None until activated).
    extreme: Decimal | None = None
    algo_status: str = "NEW"
    create_ms: int = 0
    update_ms: int = 0
    trigger_ms: int = 0
    actual_order_id: int | None = None

    @property
    def is_open(self) -> bool:
        return self.algo_status == "NEW"


@dataclass
class Position:
    symbol: str
    amt: Decimal = Decimal(0)
    entry: Decimal = Decimal(0)
    update_ms: int = 0
    # ISOLATED margin: the wallet set apart for this position alone (0 when cross). Part of the
    # account's wallet (the sum of its income rows); the cross wallet is the rest.
    isolated_wallet: Decimal = Decimal(0)


@dataclass
class SymbolSetting:
    leverage: int
    margin_type: str = "CROSSED"


@dataclass
class Account:
    id: int
    name: str
    api_key: str
    api_secret: str
    wallet: Decimal
    created_ms: int
    update_ms: int = 0
    positions: dict[str, Position] = field(default_factory=dict)
    settings: dict[str, SymbolSetting] = field(default_factory=dict)
    open_orders: dict[int, Order] = field(default_factory=dict)
    open_algos: dict[int, AlgoOrder] = field(default_factory=dict)
    used_client_ids: set[str] = field(default_factory=set)
    used_algo_ids: set[str] = field(default_factory=set)
    listen_key: str = ""


def as_json(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value
