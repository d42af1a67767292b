"""Publishing a task to the broker from a web request: the answer never depends on it.

What a task works on is in the database before it is published; a task the broker could not
take is published later by a reconciliation, so a broker outage delays work and never turns
a true answer ("queued") into a false one.
"""

import logging

logger = logging.getLogger(__name__)


def publish(task, *args, countdown: float | None = None) -> bool:
    """Queue `task` with `args` on the broker (to run `countdown` seconds from now); False,
    logged, when the broker cannot take it.

    Never raises: what could not be published is in the database, and the reconciliation
    publishes it later.
    """
    try:
        if countdown is None:
            task.delay(*args)
        else:
            task.apply_async(args, countdown=countdown)
    except Exception as exc:  # kombu's OperationalError, redis' ConnectionError, timeouts…
        logger.warning(
            "Broker unavailable, %s %s left for the reconciliation: %s",
            task.name,
            args[0] if args else "",
            type(exc).__name__,
        )
        return False
    return True
