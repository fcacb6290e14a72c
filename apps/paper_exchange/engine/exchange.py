"""The venue's engine: its state (accounts, ids, the clock, the market, the store) and its life
(open, close, tick). The work is done by modules named by their job, functions of the engine:

- `validation.py`: order entry checks -> the record to match, or Binance's error
- `matching.py`: fills against the book, resting limits, conditional triggers, cancels
- `risk.py` / `ledger.py` / `accounting.py`: margin figures, the money writes, the maths
- `loop.py`: the clock loop (funding, resting orders and triggers, liquidation)
- `orders_api.py` / `account_api.py` / `futures_api.py` / `public.py`: the endpoints
- `views.py` / `events.py`: Binance's reply shapes and user-stream events

Every endpoint runs under `Engine.lock`; every accepted mutation is one storage transaction,
committed before the endpoint returns."""

from __future__ import annotations

import json
import secrets
import threading
import time
from decimal import Decimal
from typing import Any

from ..clock import ExchangeClock, wall_ms
from ..config import ExchangeConfig
from ..errors import ApiError
from ..market import FUNDING_INTERVAL_MS, HISTORY_MINUTES, MINUTE_MS, Market, load_replay
from ..storage import Store
from . import ledger, loop
from .book import Book
from .events import Journal
from .models import Account, Position, SymbolSetting


class Engine:
    def __init__(
        self,
        *,
        config: ExchangeConfig,
        store: Store,
        market: Market,
        clock: ExchangeClock,
        funding_done_ms: int,
    ) -> None:
        self.config = config
        self.store = store
        self.market = market
        self.accounts: dict[int, Account] = {}
        self.book = Book(market, self.accounts)
        self.clock = clock
        self.lock = threading.RLock()
        self.by_key: dict[str, Account] = {}
        self._order_id = max(store.max_id("orders", "order_id"), 100_000_000)
        self._algo_id = max(store.max_id("algo_orders", "algo_id"), 4_000_000)
        self._trade_id = max(store.max_id("trades", "trade_id"), 50_000_000)
        self._tran_id = max(store.max_id("income", "tran_id"), 900_000_000)
        self.funding_done_ms = funding_done_ms
        self.last_tick_ms = clock.now_ms()
        self.persisted_clock_wall = 0  # wall ms of the last clock save (loop.tick)
        self.journal = Journal(self)
        store.observer = self.journal
        # listen key -> monotonic deadline; a key not kept alive lapses (Binance: 60 min).
        self.listen_deadlines: dict[str, float] = {}
        for acc, deposit in store.load_accounts():
            self._adopt(acc, deposit)

    # --- construction ------------------------------------------------------------------------
    @classmethod
    def open(cls, config: ExchangeConfig) -> Engine:
        store = Store(config.db_path, synchronous=config.synchronous)
        now_wall = wall_ms()
        seed = int(store.meta_get("seed") or config.seed)
        replay = load_replay(config.replay_dir) if config.replay_dir else None
        if config.replay_dir and not replay:
            raise SystemExit(f"no SYMBOL-1m-*.csv|zip kline files in {config.replay_dir}")
        genesis = store.meta_get("genesis_ms")
        if genesis is None:
            if replay:
                first = min(p.genesis for p in replay.values())
                span = max(p.last for p in replay.values()) - first
                genesis_ms = first * MINUTE_MS
                start_ms = (first + min(1440, span // 4)) * MINUTE_MS
            else:
                genesis_ms = (now_wall // MINUTE_MS - HISTORY_MINUTES) * MINUTE_MS
                start_ms = now_wall
        else:
            genesis_ms = int(genesis)
            start_ms = now_wall if not replay else genesis_ms
        saved = int(store.meta_get("clock_ms") or 0)
        latest_record = max(store.max_id("income", "time_ms"), store.max_id("orders", "time_ms"))
        # Exchange time never runs backwards across a restart, even after a kill -9.
        start_ms = max(start_ms, saved, latest_record + 1)
        shifts = store.meta_get("price_shifts")
        market = Market(
            seed=seed,
            genesis_ms=genesis_ms,
            replay=replay,
            shifts=json.loads(shifts) if shifts else None,
        )
        clock = ExchangeClock(start_ms=start_ms, speed=config.speed)
        funding_done = store.meta_get("funding_done_ms")
        # A fresh venue charges no funding for the interval it was not running in.
        funding_done_ms = (
            int(funding_done)
            if funding_done
            else (start_ms // FUNDING_INTERVAL_MS * FUNDING_INTERVAL_MS)
        )
        with store.tx():
            store.meta_set("seed", str(seed))
            store.meta_set("genesis_ms", str(genesis_ms))
            store.meta_set("clock_ms", str(start_ms))
            store.meta_set("funding_done_ms", str(funding_done_ms))
        return cls(
            config=config, store=store, market=market, clock=clock, funding_done_ms=funding_done_ms
        )

    def close(self) -> None:
        with self.lock:
            with self.store.tx():
                self.store.meta_set("clock_ms", str(self.clock.now_ms()))
            self.store.close()

    # --- ids: drawn only once a request passed its checks ------------------------------------
    def next_order_id(self) -> int:
        self._order_id += 1
        return self._order_id

    def next_algo_id(self) -> int:
        self._algo_id += 1
        return self._algo_id

    def next_trade_id(self) -> int:
        self._trade_id += 1
        return self._trade_id

    def next_tran_id(self) -> int:
        self._tran_id += 1
        return self._tran_id

    # --- accounts ----------------------------------------------------------------------------
    def _adopt(self, acc: Account, deposit: Decimal) -> None:
        if deposit:
            with self.store.tx():
                ledger.income(
                    self, acc, "TRANSFER", deposit, self.clock.now_ms(), symbol="", info="TRANSFER"
                )
                self.store.put_account(acc)
                self.store.mark_deposited(acc.id)
        self.accounts[acc.id] = acc
        self.by_key[acc.api_key] = acc

    def account_for_key(self, key: str) -> Account | None:
        acc = self.by_key.get(key)
        if acc is None:
            # Accounts are created by another process (the management command) while we run.
            with self.lock:
                acc = self.by_key.get(key)
                if acc is None:
                    for found, deposit in self.store.load_accounts(api_key=key):
                        known = self.accounts.get(found.id)
                        if known is not None:
                            # Keys re-issued by the management command while we run: the new
                            # key takes over the live account and the old one stops working.
                            self.by_key.pop(known.api_key, None)
                            known.api_key, known.api_secret = found.api_key, found.api_secret
                            self.by_key[known.api_key] = acc = known
                        else:
                            self._adopt(found, deposit)
                            acc = found
        return acc

    def setting(self, acc: Account, symbol: str) -> SymbolSetting:
        """The account's leverage and margin type on `symbol` (the defaults until changed)."""
        setting = acc.settings.get(symbol)
        if setting is None:
            setting = SymbolSetting(leverage=self.config.default_leverage)
            acc.settings[symbol] = setting
        return setting

    def position(self, acc: Account, symbol: str) -> Position:
        pos = acc.positions.get(symbol)
        if pos is None:
            pos = Position(symbol=symbol)
            acc.positions[symbol] = pos
        return pos

    # --- the user data stream's listen keys --------------------------------------------------
    def listen_key(self, acc: Account, method: str) -> dict[str, Any]:
        alive = bool(acc.listen_key) and self.listen_key_alive(acc.listen_key)
        if method == "POST":
            if not alive:
                self.listen_deadlines.pop(acc.listen_key, None)
                acc.listen_key = secrets.token_urlsafe(48)[:64]
                with self.store.tx():
                    self.store.put_account(acc)
            self.listen_deadlines[acc.listen_key] = time.monotonic() + self.config.listen_key_ttl
            return {"listenKey": acc.listen_key}
        if method == "PUT":
            if not alive:
                raise ApiError(-1125, "This listenKey does not exist.")
            self.listen_deadlines[acc.listen_key] = time.monotonic() + self.config.listen_key_ttl
            return {"listenKey": acc.listen_key}
        if acc.listen_key:
            self.listen_deadlines.pop(acc.listen_key, None)
            acc.listen_key = ""
            with self.store.tx():
                self.store.put_account(acc)
        return {}

    def listen_key_alive(self, key: str) -> bool:
        deadline = self.listen_deadlines.get(key)
        # A key from before a restart lives a full TTL from the first look.
        if deadline is None and any(a.listen_key == key for a in self.accounts.values()):
            deadline = self.listen_deadlines[key] = time.monotonic() + self.config.listen_key_ttl
        return deadline is not None and time.monotonic() < deadline

    def account_for_listen_key(self, key: str) -> Account | None:
        if not key or not self.listen_key_alive(key):
            return None
        return next((a for a in self.accounts.values() if a.listen_key == key), None)

    # --- the clock ---------------------------------------------------------------------------
    def tick(self) -> None:
        loop.tick(self)

    def set_price(self, symbol: str, price: Decimal, mark: Decimal | None = None) -> dict[str, Any]:
        return loop.set_price(self, symbol, price, mark)
