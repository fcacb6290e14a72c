"""`manage.py paper_exchange --port 8030 [--db PATH] [--speed 60] [--replay DIR] ...`"""

from __future__ import annotations

import logging
import signal
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.paper_exchange.config import ExchangeConfig
from apps.paper_exchange.engine.exchange import Engine
from apps.paper_exchange.server import Ticker, Venue, make_server

log = logging.getLogger("apps.paper_exchange")


class Command(BaseCommand):
    help = "Serve the paper exchange (Binance USD-M futures REST subset) over HTTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument("--db", type=Path, default=None,
                            help="SQLite file (default $PAPER_EXCHANGE_DB or "
                                 "var/paper_exchange.sqlite3)")
        parser.add_argument("--speed", type=float, default=None,
                            help="exchange seconds per wall second (funding every 8h/speed)")
        parser.add_argument("--seed", type=int, default=None,
                            help="price-process seed (fixed when the database is created)")
        parser.add_argument("--replay", type=Path, default=None,
                            help="directory of Binance public-data 1m kline files")
        parser.add_argument("--loose-client-order-ids", action="store_true", default=None,
                            help="Binance's rule: client order ids unique among open orders")
        parser.add_argument("--admin-token", default=None)
        parser.add_argument("--taker-fee", type=Decimal, default=None)
        parser.add_argument("--maker-fee", type=Decimal, default=None)
        parser.add_argument("--maint-margin-rate", type=Decimal, default=None)
        parser.add_argument("--weight-limit", type=int, default=None, dest="weight_limit_1m")
        parser.add_argument("--order-limit-10s", type=int, default=None)
        parser.add_argument("--order-limit-1m", type=int, default=None)
        parser.add_argument("--sync", choices=["full", "normal"], default=None,
                            help="SQLite synchronous mode (full: fsync per mutation)")

    def handle(self, *args: Any, **opts: Any) -> None:
        config = ExchangeConfig.from_settings(
            host=opts["host"], port=opts["port"], db_path=opts["db"], speed=opts["speed"],
            seed=opts["seed"], replay_dir=opts["replay"],
            loose_client_order_ids=opts["loose_client_order_ids"],
            admin_token=opts["admin_token"], taker_fee=opts["taker_fee"],
            maker_fee=opts["maker_fee"], maint_margin_rate=opts["maint_margin_rate"],
            weight_limit_1m=opts["weight_limit_1m"], order_limit_10s=opts["order_limit_10s"],
            order_limit_1m=opts["order_limit_1m"],
            synchronous=opts["sync"].upper() if opts["sync"] else None,
        )
        if not config.speed > 0:
            raise CommandError(f"paper exchange speed must be > 0, got {config.speed}")
        engine = Engine.open(config)
        venue = Venue(config, engine)
        server = make_server(venue)
        ticker = Ticker(engine, config.tick_seconds)
        stopping = threading.Event()

        def stop(signum: int, _frame: Any) -> None:
            if not stopping.is_set():
                stopping.set()
                # shutdown() blocks until serve_forever returns: call it off the main thread.
                threading.Thread(target=server.shutdown, daemon=True).start()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        ticker.start()
        host, port = server.server_address[:2]
        # The admin token guards the fault switch: never in the log. A generated one is kept in
        # the venue's own file (meta key admin_token), readable by its owner only.
        self.stdout.write(
            f"paper exchange on http://{host}:{port} db={config.db_path} speed={config.speed} "
            f"seed={engine.market.seed}"
        )
        self.stdout.flush()
        try:
            server.serve_forever(poll_interval=0.2)
        finally:
            ticker.stopped.set()
            ticker.join(timeout=5)
            server.server_close()
            engine.close()
            self.stdout.write("paper exchange stopped")
