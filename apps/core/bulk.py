"""Inserts of many model rows without the ORM's per-value machinery.

bulk_create sends every value of every object through its field (pre_save, get_db_prep_save):
at 20,000 income rows that was most of an ingestion's time. rows_insert picks each column's
adapter once per call and sends a page as one statement (rows_insert's docstring says how).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import psycopg
from django.db import connection, transaction
from django.db.models import Field, Model


def _adapter(field: Field) -> Callable[[Any], Any] | None:
    ops = connection.ops
    kind = field.get_internal_type()
    if kind == "DateTimeField":
        return ops.adapt_datetimefield_value
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind == "DecimalField":
        return lambda v: ops.adapt_decimalfield_value(v, field.max_digits, field.decimal_places)
    return None  # ints, strings, None: as they are


# Rows per statement: SQLite binds at most 32,766 parameters; PostgreSQL parses one statement
# of this many rows in well under a millisecond per hundred rows.
ROWS_PER_STATEMENT = 1000
# PostgreSQL: from this many rows a page goes through COPY (below this the extra round trips
# of the staging table cost more than the arrays' binding saves).
COPY_MIN_ROWS = 64


def rows_insert(
    model: type[Model],
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    conflict: str = "",
    returning: Sequence[str] = (),
) -> list[tuple]:
    """INSERT rows (tuples in the order of `columns`, attribute names of `model`) in multi-row
    statements, one per ROWS_PER_STATEMENT rows: one round trip and one execution on the
    server for a page, where executemany runs one per row (on PostgreSQL that was most of the
    server's time). `conflict` is the statement's ON CONFLICT clause (SQL written by the
    caller, identifiers from the model); `returning` names columns to return, of the rows
    actually inserted or updated (with ON CONFLICT DO NOTHING: only the new ones). SQLite
    (3.35 and later) and PostgreSQL."""
    if not rows:
        return []
    fields = [model._meta.get_field(name) for name in columns]
    qn = connection.ops.quote_name
    head = (
        f"INSERT INTO {qn(model._meta.db_table)} "  # noqa: S608 - identifiers from the model
        f"({', '.join(qn(f.column) for f in fields)}) "
    )
    tail = f" {conflict}" if conflict else ""
    if returning:
        tail += " RETURNING " + ", ".join(qn(model._meta.get_field(n).column) for n in returning)
    if connection.vendor == "postgresql":
        if len(rows) >= COPY_MIN_ROWS:
            return _rows_insert_copy(model, fields, rows, head, tail, bool(returning))
        return _rows_insert_unnest(fields, rows, head, tail, bool(returning))
    adapters = [_adapter(f) for f in fields]
    one = f"({', '.join(['%s'] * len(fields))})"
    out: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            chunk = rows[start : start + ROWS_PER_STATEMENT]
            params: list[Any] = []
            for row in chunk:
                params.extend(
                    v if adapt is None else adapt(v) for v, adapt in zip(row, adapters, strict=True)
                )
            cursor.execute(head + "VALUES " + ", ".join([one] * len(chunk)) + tail, params)
            if returning:
                out.extend(tuple(r) for r in cursor.fetchall())
    return out


def rows_update(model: type[Model], columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """UPDATE rows by primary key: each row is (pk, value of columns[0], ...), attribute names
    of `model`. PostgreSQL: one statement joining the table to one array per column (bound in
    binary); SQLite: executemany, which runs in-process. save() per object, or bulk_update's
    CASE per value, cost a round trip or a long statement per few rows."""
    if not rows:
        return
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    qn = connection.ops.quote_name
    table, pk = qn(meta.db_table), qn(meta.pk.column)
    if connection.vendor == "postgresql":
        names = [qn(f.column) for f in fields]
        arrays = [list(column) for column in zip(*rows, strict=True)]
        casts = ", ".join(
            f"%s::{f.db_type(connection)}[]"
            for f in [meta.pk, *fields]  # the model's types
        )
        sql = (
            f"UPDATE {table} SET {', '.join(f'{n} = v.{n}' for n in names)} "  # noqa: S608
            f"FROM unnest({casts}) AS v({pk}, {', '.join(names)}) WHERE {table}.{pk} = v.{pk}"
        )
        with bound_cursor() as cursor:
            cursor.execute(sql, arrays)
        return
    adapters = [_adapter(f) for f in fields]
    sql = (
        f"UPDATE {table} SET {', '.join(f'{qn(f.column)} = %s' for f in fields)} "  # noqa: S608
        f"WHERE {pk} = %s"
    )
    params = [
        [v if adapt is None else adapt(v) for v, adapt in zip(row[1:], adapters, strict=True)]
        + [row[0]]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def _rows_insert_unnest(
    fields: list[Field], rows: Sequence[Sequence[Any]], head: str, tail: str, returning: bool
) -> list[tuple]:
    """PostgreSQL: one array per column, bound server-side in binary (Django's cursors quote
    every value into the SQL text on the client, which cost more than the insert itself), and
    `SELECT * FROM unnest(...)` as the rows: one statement of len(fields) parameters, whatever
    the number of rows."""
    casts = ", ".join(f"%s::{f.db_type(connection)}[]" for f in fields)
    arrays = [list(column) for column in zip(*rows, strict=True)]
    with bound_cursor() as cursor:
        sql = head + f"SELECT * FROM unnest({casts})" + tail  # noqa: S608 - the model's types
        cursor.execute(sql, arrays)
        return [tuple(r) for r in cursor.fetchall()] if returning else []


def _rows_insert_copy(
    model: type[Model],
    fields: list[Field],
    rows: Sequence[Sequence[Any]],
    head: str,
    tail: str,
    returning: bool,
) -> list[tuple]:
    """PostgreSQL: COPY the rows into a temporary staging table of the same columns, then one
    `INSERT ... SELECT` from it, so ON CONFLICT and RETURNING work exactly as with unnest.
    psycopg writes COPY rows in C; binding a page as one array per column ran its Python
    array dumper over every value (a quarter of the poll's client time at 20,000 rows). The
    staging table is the session's own (two workers never see each other's rows), created
    once per session and emptied by the statement that reads it (and at every commit); its
    rows come back in the order they were written, as unnest's did, so two writers lock keys
    in one order."""
    qn = connection.ops.quote_name
    names = ", ".join(qn(f.column) for f in fields)
    # One staging table per target and column list; identifiers from the model.
    stage = qn(f"stage_{model._meta.db_table}_{zlib.crc32(names.encode()):08x}"[:63])
    with transaction.atomic(), bound_cursor() as cursor:  # autocommit would empty it between
        cursor.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {stage} ON COMMIT DELETE ROWS AS "  # noqa: S608
            f"SELECT {names} FROM {qn(model._meta.db_table)} WITH NO DATA"
        )
        with cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        # Emptied by the statement that reads it: a second call in this transaction (no
        # commit between) starts from an empty table.
        staged = f"WITH staged AS (DELETE FROM {stage} RETURNING {names}) "  # noqa: S608
        cursor.execute(staged + head + f"SELECT {names} FROM staged" + tail)  # noqa: S608
        return [tuple(r) for r in cursor.fetchall()] if returning else []


@contextmanager
def bound_cursor() -> Iterator[psycopg.Cursor]:
    """PostgreSQL: a cursor on Django's connection (its transaction) that binds parameters on
    the server, in binary. Django's own cursors quote every value into the SQL text on the
    client: for a page's arrays of a thousand values that cost more than the statement. It
    skips Django's execute wrappers (connection.queries, debug logging)."""
    connection.ensure_connection()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.format = psycopg.pq.Format.BINARY
        yield cursor
