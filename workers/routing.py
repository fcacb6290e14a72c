"""Queues by workload and the one place that routes tasks to them.

Task names are `quantum.<context>.<what_it_does>`; the context picks the queue, so a new task
lands on the right workers without touching this file. Workers are scaled per queue
(see docs/operations.md).
"""

from kombu import Exchange, Queue

QUEUE_NAMES = ("market", "trading", "pnl", "rl", "research", "default")

TASK_QUEUES = tuple(
    Queue(name, Exchange(name, type="direct"), routing_key=name) for name in QUEUE_NAMES
)

# context of the task name -> queue
CONTEXT_QUEUES = {
    "market": "market",
    "trading": "trading",
    "pnl": "pnl",
    "rl": "rl",
    "models": "research",
    "strategy": "research",
    "ops": "default",
}


def queue_for(task_name: str) -> str:
    parts = task_name.split(".")
    if len(parts) >= 3 and parts[0] == "quantum":
        return CONTEXT_QUEUES.get(parts[1], "default")
    return "default"


def route_task(name: str, args, kwargs, options, task=None, **kw) -> dict:
    # An explicit `queue=` wins (the health probes go through every queue, and to one worker's
    # own queue); Celery hands it over as a Queue, or as a name.
    explicit = (options or {}).get("queue")
    if isinstance(explicit, Queue):
        return {"queue": explicit}
    # The queue alone, no exchange: Celery then publishes straight onto the queue's list (the
    # anonymous direct exchange). Naming the exchange made kombu look its bindings up in Redis
    # (SMEMBERS) on every send, a round trip more than bare Celery (docs/operations.md,
    # "Benchmarks"); each queue's exchange is bound to that queue alone, so it lands the same.
    return {"queue": explicit or queue_for(name)}
