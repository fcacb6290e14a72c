"""On SQLite, a transaction that reads and then writes waits for the write lock instead of
failing at once with "database is locked".

A deferred transaction starts as a reader; when it then writes while another connection holds
(or has just released) the write lock, SQLite answers SQLITE_BUSY at once, without waiting out the
busy timeout, since waiting could deadlock. Workers, beat and gunicorn do exactly that all day."""

import threading
import time

import pytest
from django.db import connection, transaction
from django_celery_beat.models import IntervalSchedule

pytestmark = pytest.mark.django_db(transaction=True)


def test_concurrent_read_then_write_transactions_wait_their_turn():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite's locking; PostgreSQL has row locks")
    errors: list[BaseException] = []
    start = threading.Barrier(4)

    def read_then_write(n: int) -> None:
        try:
            start.wait(5)
            with transaction.atomic():
                IntervalSchedule.objects.filter(every__gte=0).count()
                time.sleep(0.3)  # a service computing between its read and its write
                IntervalSchedule.objects.create(every=1000 + n, period="seconds")
        except BaseException as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=read_then_write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [], errors
    assert IntervalSchedule.objects.filter(every__gte=1000).count() == 4


def test_the_desk_database_is_set_to_take_the_write_lock_up_front(settings):
    options = settings.DATABASES["default"].get("OPTIONS", {})
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 5
