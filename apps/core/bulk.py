"""Inserts of many model rows without the ORM's per-value machinery.

bulk_create sends every value of every object through its field (pre_save, get_db_prep_save):
at 20,000 income rows that was most of an ingestion's time. objs_insert picks each column's
adapter once per call and hands the rows to the driver in one executemany (SQLite runs it as
one prepared statement, psycopg 3 pipelines it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Field, Model

from apps.core.timeutil import utcnow


def _adapter(field: Field) -> Callable[[Any], Any] | None:
    ops = connection.ops
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return ops.adapt_datetimefield_value
    if kind == "DecimalField":
        return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    return None  # ints, strings, None: as they are


def objs_insert(objs: Sequence[Model], *, ignore_conflicts: bool = False) -> None:
    """INSERT unsaved instances of one model, in the current transaction, as bulk_create would
    (every concrete column but an auto primary key; auto_now and auto_now_add fields set to one
    time for the call), without setting their primary keys. With `ignore_conflicts` a row that
    breaks a unique constraint is skipped (ON CONFLICT DO NOTHING: SQLite and PostgreSQL)."""
    if not objs:
        return
    model = type(objs[0])
    now = utcnow()
    fields = [f for f in model._meta.concrete_fields if not (f.primary_key and f.auto_created)]
    stamped = [
        bool(getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)) for f in fields
    ]
    adapters = [_adapter(f) for f in fields]
    names = [f.attname for f in fields]
    params = []
    for obj in objs:
        values = obj.__dict__
        params.append(
            tuple(
                (now if stamp else values[name])
                if adapt is None
                else adapt(now if stamp else values[name])
                for name, stamp, adapt in zip(names, stamped, adapters, strict=True)
            )
        )
    qn = connection.ops.quote_name
    sql = (
        f"INSERT INTO {qn(model._meta.db_table)} "  # noqa: S608 - identifiers from the model
        f"({', '.join(qn(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))})"
        + (" ON CONFLICT DO NOTHING" if ignore_conflicts else "")
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
