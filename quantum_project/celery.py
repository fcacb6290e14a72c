"""The Celery app: configured from Django settings (CELERY_ namespace), queues and routes from
`workers.routing`, tasks from the `workers` package."""

import os
import pkgutil

from celery import Celery, signals

from quantum_project import kombu_patches

# Before any broker connection: a Redis restart must not end a worker (see the module).
kombu_patches.apply()

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "quantum_project.settings")

app = Celery("quantum", task_cls="workers.base:QuantumTask")
app.config_from_object("django.conf:settings", namespace="CELERY")

import workers  # noqa: E402
from workers.routing import TASK_QUEUES, route_task  # noqa: E402

app.conf.task_queues = TASK_QUEUES
app.conf.task_routes = (route_task,)
# Every module of workers/ but the plumbing holds tasks: one module per app.
_PLUMBING = {"base", "routing", "schedule"}
app.conf.imports = tuple(
    f"workers.{module.name}"
    for module in pkgutil.iter_modules(workers.__path__)
    if module.name not in _PLUMBING
)


@signals.beat_init.connect
def _ensure_default_schedule(sender=None, **kwargs) -> None:
    from apps.ops.services import periodic_tasks_ensure
    from workers.schedule import BEAT_SCHEDULE

    periodic_tasks_ensure(schedule=BEAT_SCHEDULE)
