"""Queues by workload: every task lands on the queue of its context."""

from quantum_project.celery import app
from workers.routing import QUEUE_NAMES, queue_for


def test_it_declares_the_workload_queues():
    assert {"market", "trading", "pnl", "rl", "research", "default"} <= set(QUEUE_NAMES)
    assert {queue.name for queue in app.conf.task_queues} == set(QUEUE_NAMES)


def test_it_routes_by_the_context_in_the_task_name():
    assert queue_for("quantum.pnl.poll_account") == "pnl"
    assert queue_for("quantum.models.train") == "research"
    assert queue_for("quantum.strategy.evolve") == "research"
    assert queue_for("quantum.ops.noop") == "default"
    assert queue_for("celery.backend_cleanup") == "default"


def test_every_registered_task_has_a_stable_quantum_name_and_a_queue():
    app.loader.import_default_modules()
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert ours, "no tasks registered"
    for name in ours:
        assert name.startswith("quantum."), name
        assert queue_for(name) in QUEUE_NAMES


def test_it_speaks_json_only():
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_serializer == "json"
