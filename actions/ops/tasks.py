"""The worker's own check: a task that answers what it was given."""

from celery import shared_task


@shared_task(name="actions.echo", ignore_result=False)
def echo(value):
    """Return the value it was given: proves the queue, a worker and results work end to end."""
    return value
