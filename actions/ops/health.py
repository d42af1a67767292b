"""The checks behind /healthz: database, broker and worker, each with a short timeout."""

import redis
from django.conf import settings
from django.db import connection

from builder.celery import app as celery_app

OK = "ok"


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure is reported, never raised to the probe
        return f"error: {type(exc).__name__}"
    return OK


def check_broker() -> str:
    timeout = settings.HEALTHZ_TIMEOUT
    try:
        client = redis.Redis.from_url(
            settings.REDIS_URL, socket_timeout=timeout, socket_connect_timeout=timeout
        )
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    return OK


def check_worker() -> str:
    try:
        replies = celery_app.control.ping(timeout=settings.HEALTHZ_TIMEOUT)
    except Exception as exc:
        return f"error: {type(exc).__name__}"
    if not replies:
        return f"error: no worker answered within {settings.HEALTHZ_TIMEOUT:g}s"
    return OK


def health() -> dict[str, str]:
    """The state of each part; the worker is only asked when the broker answers."""
    result = {"database": check_database(), "broker": check_broker()}
    result["worker"] = check_worker() if result["broker"] == OK else "error: broker unavailable"
    return result
