"""`manage.py paper_exchange --port 8030 [--db PATH] [--speed 60] [--replay DIR] ...`"""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

import uvicorn
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.paper_exchange.asgi import build_app
from apps.paper_exchange.config import ExchangeConfig
from apps.paper_exchange.engine.exchange import Engine
from apps.paper_exchange.server import Ticker, Venue
from apps.paper_exchange.streams import StreamHub

log = logging.getLogger("apps.paper_exchange")


class VenueServer(uvicorn.Server):
    """uvicorn re-raises a captured SIGTERM/SIGINT after its clean shutdown, so the process
    would die of the signal (exit -15); the venue's contract is exit 0 on either."""

    def handle_exit(self, sig: int, frame: Any) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


class Command(BaseCommand):
    help = "Serve the paper exchange (Binance USD-M futures REST subset) over HTTP."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=None)
        parser.add_argument("--port", type=int, default=None)
        parser.add_argument(
            "--db",
            type=Path,
            default=None,
            help="SQLite file (default $PAPER_EXCHANGE_DB or var/paper_exchange.sqlite3)",
        )
        parser.add_argument(
            "--speed",
            type=float,
            default=None,
            help="exchange seconds per wall second (funding every 8h/speed)",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="price-process seed (fixed when the database is created)",
        )
        parser.add_argument(
            "--replay",
            type=Path,
            default=None,
            help="directory of Binance public-data 1m kline files",
        )
        parser.add_argument(
            "--loose-client-order-ids",
            action="store_true",
            default=None,
            help="Binance's rule: client order ids unique among open orders",
        )
        parser.add_argument("--admin-token", default=None)
        parser.add_argument("--taker-fee", type=Decimal, default=None)
        parser.add_argument("--maker-fee", type=Decimal, default=None)
        parser.add_argument("--maint-margin-rate", type=Decimal, default=None)
        parser.add_argument("--weight-limit", type=int, default=None, dest="weight_limit_1m")
        parser.add_argument("--order-limit-10s", type=int, default=None)
        parser.add_argument("--order-limit-1m", type=int, default=None)
        parser.add_argument(
            "--sync",
            choices=["full", "normal"],
            default=None,
            help="SQLite synchronous mode (full: fsync per mutation)",
        )
        parser.add_argument(
            "--ws-ping-interval",
            type=float,
            default=None,
            help="seconds between WebSocket pings (Binance: 180)",
        )
        parser.add_argument(
            "--ws-ping-timeout",
            type=float,
            default=None,
            help="seconds a connection may leave a ping unanswered (600)",
        )
        parser.add_argument(
            "--ws-lifetime",
            type=float,
            default=None,
            help="seconds before any stream connection is closed (86400)",
        )
        parser.add_argument(
            "--listen-key-ttl",
            type=float,
            default=None,
            help="seconds a listen key lives without a keepalive (3600)",
        )
        parser.add_argument(
            "--http",
            choices=["httptools", "h11"],
            default="httptools",
            help="uvicorn's HTTP parser",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        config = ExchangeConfig.from_settings(
            host=opts["host"],
            port=opts["port"],
            db_path=opts["db"],
            speed=opts["speed"],
            seed=opts["seed"],
            replay_dir=opts["replay"],
            loose_client_order_ids=opts["loose_client_order_ids"],
            admin_token=opts["admin_token"],
            taker_fee=opts["taker_fee"],
            maker_fee=opts["maker_fee"],
            maint_margin_rate=opts["maint_margin_rate"],
            weight_limit_1m=opts["weight_limit_1m"],
            order_limit_10s=opts["order_limit_10s"],
            order_limit_1m=opts["order_limit_1m"],
            synchronous=opts["sync"].upper() if opts["sync"] else None,
            ws_ping_interval=opts["ws_ping_interval"],
            ws_ping_timeout=opts["ws_ping_timeout"],
            ws_lifetime=opts["ws_lifetime"],
            listen_key_ttl=opts["listen_key_ttl"],
        )
        if not config.speed > 0:
            raise CommandError(f"paper exchange speed must be > 0, got {config.speed}")
        engine = Engine.open(config)
        venue = Venue(config, engine)
        hub = StreamHub(venue)
        server = VenueServer(
            uvicorn.Config(
                build_app(venue, hub),
                host=config.host,
                port=config.port,
                # One process (the engine is in it), no access log (a line per request is most of
                # a ping's cost), uvloop and httptools where installed.
                workers=1,
                access_log=False,
                log_level="warning",
                loop="auto",
                http=opts["http"],
                ws="websockets-sansio",
                lifespan="on",
                ws_ping_interval=config.ws_ping_interval,
                ws_ping_timeout=config.ws_ping_timeout,
                server_header=False,
                timeout_keep_alive=120,
            )
        )
        ticker = Ticker(engine, config.tick_seconds, after=hub.wake)
        ticker.start()
        # The admin token guards the fault switch: never in the log. A generated one is kept in
        # the venue's own file (meta key admin_token), readable by its owner only.
        self.stdout.write(
            f"paper exchange on http://{config.host}:{config.port} db={config.db_path} "
            f"speed={config.speed} seed={engine.market.seed}"
        )
        self.stdout.flush()
        try:
            # uvicorn installs its own SIGINT/SIGTERM handlers: both end serve() cleanly.
            server.run()
        finally:
            ticker.stopped.set()
            ticker.join(timeout=5)
            engine.close()
            self.stdout.write("paper exchange stopped")
        if not server.started:
            raise CommandError(f"paper exchange could not listen on {config.host}:{config.port}")
