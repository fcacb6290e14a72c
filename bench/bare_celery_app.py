"""The baseline of bench/celery_roundtrip.py: a bare Celery app on the same Redis, no Django,
no routing, no base task class; JSON like ours."""

import os

from celery import Celery

app = Celery("bare", broker=os.environ["BENCH_REDIS_URL"], backend=os.environ["BENCH_REDIS_URL"])
app.conf.update(
    task_serializer="json",
    accept_content=["json"],
    result_serializer="json",
    task_default_queue="bare",
    worker_prefetch_multiplier=1,
)


@app.task(name="bare.noop")
def noop() -> None:
    return None
