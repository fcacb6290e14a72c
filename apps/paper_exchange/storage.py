"""The venue's own SQLite file (stdlib sqlite3): never the desk's database, whatever it runs on.

Open orders, positions and balances are held in memory by the engine and written through here;
history (orders, trades, income) is read back from the file. Each accepted mutation is one
transaction committed before the HTTP reply is written.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any

from .engine.models import Account, AlgoOrder, Order, Position, SymbolSetting

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS accounts (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, api_key TEXT NOT NULL UNIQUE,
    api_secret TEXT NOT NULL, wallet TEXT NOT NULL, created_ms INTEGER NOT NULL,
    update_ms INTEGER NOT NULL, listen_key TEXT NOT NULL DEFAULT '',
    -- Written by `paper_exchange_account create` (another process); the server books it as a
    -- TRANSFER income row the first time it loads the account, then sets deposited = 1.
    deposit TEXT NOT NULL DEFAULT '0', deposited INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS symbol_settings (
    account_id INTEGER NOT NULL, symbol TEXT NOT NULL, leverage INTEGER NOT NULL,
    margin_type TEXT NOT NULL, PRIMARY KEY (account_id, symbol)
);
CREATE TABLE IF NOT EXISTS positions (
    account_id INTEGER NOT NULL, symbol TEXT NOT NULL, amt TEXT NOT NULL, entry TEXT NOT NULL,
    update_ms INTEGER NOT NULL, isolated_wallet TEXT NOT NULL DEFAULT '0',
    PRIMARY KEY (account_id, symbol)
);
CREATE TABLE IF NOT EXISTS orders (
    order_id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, symbol TEXT NOT NULL,
    client_order_id TEXT NOT NULL, status TEXT NOT NULL, time_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS orders_account ON orders (account_id, symbol, order_id);
CREATE INDEX IF NOT EXISTS orders_client ON orders (account_id, client_order_id);
CREATE TABLE IF NOT EXISTS algo_orders (
    algo_id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, symbol TEXT NOT NULL,
    client_algo_id TEXT NOT NULL, status TEXT NOT NULL, time_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS algo_account ON algo_orders (account_id, symbol, algo_id);
CREATE INDEX IF NOT EXISTS algo_client ON algo_orders (account_id, client_algo_id);
CREATE TABLE IF NOT EXISTS trades (
    trade_id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, symbol TEXT NOT NULL,
    order_id INTEGER NOT NULL, time_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS trades_account ON trades (account_id, symbol, time_ms);
CREATE TABLE IF NOT EXISTS income (
    tran_id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, symbol TEXT NOT NULL,
    income_type TEXT NOT NULL, time_ms INTEGER NOT NULL, doc TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS income_account ON income (account_id, time_ms, tran_id);
-- Every client order id an account ever used: the strict (default) duplicate rule reads this.
CREATE TABLE IF NOT EXISTS client_ids (
    account_id INTEGER NOT NULL, kind TEXT NOT NULL, client_id TEXT NOT NULL,
    PRIMARY KEY (account_id, kind, client_id)
);
"""


class Store:
    def __init__(self, path: Path, *, synchronous: str = "FULL") -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        self.path = path
        # One connection, used under the engine lock only; autocommit mode so BEGIN is explicit.
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        if fresh:
            # The file holds API secrets: readable by its owner only.
            os.chmod(path, 0o600)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'FULL' else 'NORMAL'}")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.executescript(SCHEMA)
        columns = {row[1] for row in self.conn.execute("PRAGMA table_info(positions)")}
        if "isolated_wallet" not in columns:  # a file from before isolated margin was kept
            self.conn.execute(
                "ALTER TABLE positions ADD COLUMN isolated_wallet TEXT NOT NULL DEFAULT '0'"
            )
        # The user-data journal (engine/events.py): told of every write, published on commit.
        self.observer: Any = None

    def close(self) -> None:
        self.conn.close()

    @contextmanager
    def tx(self) -> Iterator[None]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.conn.execute("ROLLBACK")
            if self.observer is not None:
                self.observer.discard()
            raise
        self.conn.execute("COMMIT")
        if self.observer is not None:
            self.observer.commit()

    # --- meta --------------------------------------------------------------------------------
    def meta_get(self, key: str) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def meta_set(self, key: str, value: str) -> None:
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def max_id(self, table: str, column: str) -> int:
        row = self.conn.execute(f"SELECT MAX({column}) FROM {table}").fetchone()  # noqa: S608
        return int(row[0] or 0)

    # --- writes ------------------------------------------------------------------------------
    def insert_account(
        self, *, name: str, api_key: str, api_secret: str, deposit: Decimal, now_ms: int
    ) -> int:
        with self.tx():
            cur = self.conn.execute(
                "INSERT INTO accounts (name, api_key, api_secret, wallet, created_ms, update_ms,"
                " deposit) VALUES (?, ?, ?, '0', ?, ?, ?)",
                (name, api_key, api_secret, now_ms, now_ms, str(deposit)),
            )
        return int(cur.lastrowid or 0)

    def account_rows(self) -> list[dict[str, Any]]:
        cur = self.conn.execute(
            "SELECT id, name, api_key, wallet, deposit, deposited, created_ms FROM accounts"
            " ORDER BY id"
        )
        names = [c[0] for c in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur]

    def set_keys(self, *, name: str, api_key: str, api_secret: str) -> int | None:
        """New credentials for the account `name`; its id, or None when there is none."""
        with self.tx():
            row = self.conn.execute("SELECT id FROM accounts WHERE name = ?", (name,)).fetchone()
            if row is None:
                return None
            self.conn.execute(
                "UPDATE accounts SET api_key = ?, api_secret = ? WHERE id = ?",
                (api_key, api_secret, row[0]),
            )
        return row[0]

    def mark_deposited(self, account_id: int) -> None:
        self.conn.execute("UPDATE accounts SET deposited = 1 WHERE id = ?", (account_id,))

    def put_account(self, acc: Account) -> None:
        self.conn.execute(
            "INSERT INTO accounts (id, name, api_key, api_secret, wallet, created_ms, update_ms,"
            " listen_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
            " wallet = excluded.wallet, update_ms = excluded.update_ms,"
            " listen_key = excluded.listen_key",
            (
                acc.id,
                acc.name,
                acc.api_key,
                acc.api_secret,
                str(acc.wallet),
                acc.created_ms,
                acc.update_ms,
                acc.listen_key,
            ),
        )
        if self.observer is not None:
            self.observer.account(acc.id)

    def put_setting(self, account_id: int, symbol: str, setting: SymbolSetting) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO symbol_settings VALUES (?, ?, ?, ?)",
            (account_id, symbol, setting.leverage, setting.margin_type),
        )

    def put_position(self, account_id: int, pos: Position) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO positions"
            " (account_id, symbol, amt, entry, update_ms, isolated_wallet)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                account_id,
                pos.symbol,
                str(pos.amt),
                str(pos.entry),
                pos.update_ms,
                str(pos.isolated_wallet),
            ),
        )
        if self.observer is not None:
            self.observer.position(account_id, pos)

    def put_order(self, order: Order) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                order.order_id,
                order.account_id,
                order.symbol,
                order.client_order_id,
                order.status,
                order.time_ms,
                order.to_doc(),
            ),
        )
        if self.observer is not None:
            self.observer.order(order)

    def put_algo(self, algo: AlgoOrder) -> None:
        self.conn.execute(
            "INSERT OR REPLACE INTO algo_orders VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                algo.algo_id,
                algo.account_id,
                algo.symbol,
                algo.client_algo_id,
                algo.algo_status,
                algo.create_ms,
                algo.to_doc(),
            ),
        )
        if self.observer is not None:
            self.observer.algo(algo)

    def put_trade(self, account_id: int, trade: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO trades VALUES (?, ?, ?, ?, ?, ?)",
            (
                trade["id"],
                account_id,
                trade["symbol"],
                trade["orderId"],
                trade["time"],
                json.dumps(trade),
            ),
        )
        if self.observer is not None:
            self.observer.trade(trade)

    def put_income(self, account_id: int, row: dict[str, Any]) -> None:
        self.conn.execute(
            "INSERT INTO income VALUES (?, ?, ?, ?, ?, ?)",
            (
                row["tranId"],
                account_id,
                row["symbol"],
                row["incomeType"],
                row["time"],
                json.dumps(row),
            ),
        )
        if self.observer is not None:
            self.observer.income(account_id, row)

    def add_client_id(self, account_id: int, kind: str, client_id: str) -> None:
        self.conn.execute(
            "INSERT OR IGNORE INTO client_ids VALUES (?, ?, ?)", (account_id, kind, client_id)
        )

    # --- reads -------------------------------------------------------------------------------
    def load_accounts(self, api_key: str | None = None) -> list[tuple[Account, Decimal]]:
        """Accounts with their open state, each with its deposit still to book (or 0)."""
        accounts: dict[int, Account] = {}
        pending: dict[int, Decimal] = {}
        sql = (
            "SELECT id, name, api_key, api_secret, wallet, created_ms, update_ms, listen_key,"
            " deposit, deposited FROM accounts"
        )
        rows = (
            self.conn.execute(sql + " WHERE api_key = ?", (api_key,))
            if api_key
            else self.conn.execute(sql)
        )
        for row in rows:
            accounts[row[0]] = Account(
                id=row[0],
                name=row[1],
                api_key=row[2],
                api_secret=row[3],
                wallet=Decimal(row[4]),
                created_ms=row[5],
                update_ms=row[6],
                listen_key=row[7],
            )
            pending[row[0]] = Decimal(0) if row[9] else Decimal(row[8])
        if api_key:
            # A single account created while the server runs: it has nothing but its deposit.
            return [(a, pending[a.id]) for a in accounts.values()]
        for acc_id, symbol, lev, mtype in self.conn.execute("SELECT * FROM symbol_settings"):
            accounts[acc_id].settings[symbol] = SymbolSetting(leverage=lev, margin_type=mtype)
        for acc_id, symbol, amt, entry, upd, iw in self.conn.execute(
            "SELECT account_id, symbol, amt, entry, update_ms, isolated_wallet FROM positions"
        ):
            accounts[acc_id].positions[symbol] = Position(
                symbol=symbol,
                amt=Decimal(amt),
                entry=Decimal(entry),
                update_ms=upd,
                isolated_wallet=Decimal(iw),
            )
        for (doc,) in self.conn.execute(
            "SELECT doc FROM orders WHERE status IN ('NEW', 'PARTIALLY_FILLED')"
        ):
            order = Order.from_doc(doc)
            accounts[order.account_id].open_orders[order.order_id] = order
        for (doc,) in self.conn.execute("SELECT doc FROM algo_orders WHERE status = 'NEW'"):
            algo = AlgoOrder.from_doc(doc)
            accounts[algo.account_id].open_algos[algo.algo_id] = algo
        for acc_id, kind, cid in self.conn.execute("SELECT * FROM client_ids"):
            target = (
                accounts[acc_id].used_client_ids
                if kind == "order"
                else (accounts[acc_id].used_algo_ids)
            )
            target.add(cid)
        return [(a, pending[a.id]) for a in accounts.values()]

    def _find(
        self,
        table: str,
        id_col: str,
        client_col: str,
        account_id: int,
        record_id: int | None,
        client_id: str | None,
    ) -> str | None:
        if record_id is not None:
            sql = f"SELECT doc FROM {table} WHERE account_id = ? AND {id_col} = ?"  # noqa: S608
            row = self.conn.execute(sql, (account_id, record_id)).fetchone()
        else:
            # The newest with that client id: in loose mode an id may be reused once closed.
            sql = (
                f"SELECT doc FROM {table} WHERE account_id = ? AND {client_col} = ?"  # noqa: S608
                f" ORDER BY {id_col} DESC LIMIT 1"
            )
            row = self.conn.execute(sql, (account_id, client_id)).fetchone()
        return row[0] if row else None

    def find_order(
        self, account_id: int, *, order_id: int | None = None, client_id: str | None = None
    ) -> Order | None:
        doc = self._find("orders", "order_id", "client_order_id", account_id, order_id, client_id)
        return Order.from_doc(doc) if doc else None

    def find_algo(
        self, account_id: int, *, algo_id: int | None = None, client_id: str | None = None
    ) -> AlgoOrder | None:
        doc = self._find("algo_orders", "algo_id", "client_algo_id", account_id, algo_id, client_id)
        return AlgoOrder.from_doc(doc) if doc else None

    def list_orders(
        self,
        table: str,
        id_col: str,
        account_id: int,
        symbol: str | None,
        *,
        from_id: int | None,
        start: int | None,
        end: int | None,
        limit: int,
    ) -> list[str]:
        sql = f"SELECT doc FROM {table} WHERE account_id = ?"  # noqa: S608
        args: list[Any] = [account_id]
        if symbol:
            sql += " AND symbol = ?"
            args.append(symbol)
        if from_id is not None:
            sql += f" AND {id_col} >= ?"
            args.append(from_id)
        if start is not None:
            sql += " AND time_ms >= ?"
            args.append(start)
        if end is not None:
            sql += " AND time_ms <= ?"
            args.append(end)
        if from_id is None and start is None:
            # Binance returns the most recent `limit` orders, oldest first.
            sql += f" ORDER BY {id_col} DESC LIMIT ?"
            args.append(limit)
            return [r[0] for r in reversed(self.conn.execute(sql, args).fetchall())]
        sql += f" ORDER BY {id_col} ASC LIMIT ?"
        args.append(limit)
        return [r[0] for r in self.conn.execute(sql, args)]

    def list_trades(
        self,
        account_id: int,
        symbol: str,
        *,
        from_id: int | None,
        start: int | None,
        end: int | None,
        limit: int,
        order_id: int | None,
    ) -> list[dict[str, Any]]:
        sql = "SELECT doc FROM trades WHERE account_id = ? AND symbol = ?"
        args: list[Any] = [account_id, symbol]
        if order_id is not None:
            sql += " AND order_id = ?"
            args.append(order_id)
        if from_id is not None:
            sql += " AND trade_id >= ?"
            args.append(from_id)
        if start is not None:
            sql += " AND time_ms >= ?"
            args.append(start)
        if end is not None:
            sql += " AND time_ms <= ?"
            args.append(end)
        if from_id is None and start is None and end is None:
            sql += " ORDER BY trade_id DESC LIMIT ?"
            args.append(limit)
            return [json.loads(r[0]) for r in reversed(self.conn.execute(sql, args).fetchall())]
        sql += " ORDER BY trade_id ASC LIMIT ?"
        args.append(limit)
        return [json.loads(r[0]) for r in self.conn.execute(sql, args)]

    def list_income(
        self,
        account_id: int,
        *,
        symbol: str | None,
        income_type: str | None,
        start: int,
        end: int,
        limit: int,
        offset: int,
    ) -> list[dict[str, Any]]:
        sql = "SELECT doc FROM income WHERE account_id = ? AND time_ms >= ? AND time_ms <= ?"
        args: list[Any] = [account_id, start, end]
        if symbol:
            sql += " AND symbol = ?"
            args.append(symbol)
        if income_type:
            sql += " AND income_type = ?"
            args.append(income_type)
        sql += " ORDER BY time_ms ASC, tran_id ASC LIMIT ? OFFSET ?"
        args.extend([limit, offset])
        return [json.loads(r[0]) for r in self.conn.execute(sql, args)]
