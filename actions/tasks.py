"""Celery tasks."""

from celery import shared_task


@shared_task(name="actions.echo")
def echo(value):
    """Return the value it was given: proves the queue, a worker and results work end to end."""
    return value
