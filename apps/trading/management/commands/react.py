"""`manage.py react`: a reactor. Reads the market and user data streams in the consumer group
"trading" and reacts to each entry (apps/trading/reactions.py). Run as many as wanted, on as
many hosts: each entry goes to one of them, and a dead one's entries are claimed by the others
after REACT_CLAIM_IDLE_SECONDS."""

import gc
import logging
import os
import signal
import socket

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections, connections

from apps.core.consumers import GroupConsumer
from apps.core.redis import get_redis
from apps.trading import reactions

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "React to the market and user data streams (exits on marks, signals on klines)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--name",
            default=f"{socket.gethostname()}-{os.getpid()}",
            help="the consumer's name in the group; %%h is this host's name (as celery -n)",
        )

    def handle(self, *args, name, **options):
        name = name.replace("%h", socket.gethostname())
        stop = []
        signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
        signal.signal(signal.SIGINT, lambda *_: stop.append(1))
        consumer = GroupConsumer(
            client=get_redis(),
            group=reactions.GROUP,
            name=name,
            handler=reactions.entry_react,
            claim_idle_ms=int(settings.REACT_CLAIM_IDLE_SECONDS * 1000),
            block_ms=settings.REACT_BLOCK_MS,
            pause_before_ack=settings.REACT_PAUSE_BEFORE_ACK_SECONDS,
        )
        # Keep the database connection from one round to the next: under CONN_MAX_AGE=0 every
        # close_old_connections below closed it, so each event batch paid a new connection (a
        # TCP and auth handshake on PostgreSQL, the PRAGMAs on SQLite) before its first query.
        # It is still dropped and reopened when it errored and no longer answers.
        for conn in connections.all():
            conn.settings_dict["CONN_MAX_AGE"] = None
        logger.info("reactor %s started", name)
        # Django's start-up heap (hundreds of thousands of objects) out of the collector's
        # sight: a full collection scanning it stalls an event's reaction for milliseconds.
        gc.freeze()
        while not stop:
            # a long-lived process: drop a connection the database closed meanwhile
            close_old_connections()
            consumer.poll(reactions.streams_read())
        logger.info("reactor %s stopped after %d entries", name, consumer.handled)
