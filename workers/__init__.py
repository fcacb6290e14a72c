"""Celery task wrappers (one module per app) and the beat schedule. Nothing imports this package
except the Celery app: tasks load, call one service, store."""
