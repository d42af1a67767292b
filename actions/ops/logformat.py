"""The one log format, and what it never writes: phone numbers, message text, secrets.

Our own log lines name messages by id and never carry a number or a body. What other code
logs is made safe here, where every line is formatted:

- a phone number in international format (+ and 7 to 15 digits) is masked (+155…67);
- a refused permission (403) is one line, without the traceback Django logs it with;
- a database error is written as its type and SQLSTATE with the traceback's frames, never its
  text: PostgreSQL quotes the failing row in it ("Failing row contains (…)", "Key (…)=(…)").
"""

import logging
import re
import traceback

from django.core.exceptions import PermissionDenied

# Not errors but answers: a user without a page's permission gets its 403, and Django's
# "Forbidden (Permission denied): /path/" is the whole story — no traceback under it.
EXPECTED = (PermissionDenied,)

# A number as E.164 writes it, also inside a tel: or sip: URI.
PHONE = re.compile(r"\+\d{7,15}\b")


def mask(text: str) -> str:
    return PHONE.sub(lambda m: f"{m.group()[:4]}…{m.group()[-2:]}", text)


def _is_database_error(exc_type) -> bool:
    names = {f"{c.__module__}.{c.__name__}" for c in exc_type.__mro__}
    return any(n.startswith(("django.db.utils.", "psycopg.", "sqlite3.")) for n in names)


class Formatter(logging.Formatter):
    """logging.Formatter that masks phone numbers and withholds database error texts."""

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        exc_type, exc, tb = ei
        if exc_type is not None and _is_database_error(exc_type):
            code = getattr(exc, "sqlstate", None) or getattr(
                getattr(exc, "__cause__", None), "sqlstate", None
            )
            frames = "".join(traceback.format_tb(tb))
            state = f", SQLSTATE {code}" if code else ""
            return (
                f"Traceback (most recent call last):\n{frames}{exc_type.__name__}{state} "
                "(the database's text is not logged: it can quote the row)"
            )
        return super().formatException(ei)

    def format(self, record: logging.LogRecord) -> str:
        exc_type = record.exc_info[0] if record.exc_info else None
        if exc_type is not None and issubclass(exc_type, EXPECTED):
            # A refusal the page answers (403): its line says all. A copy, so that other
            # handlers of the same record still get what they ask for.
            record = logging.makeLogRecord({**record.__dict__, "exc_info": None, "exc_text": None})
        return mask(super().format(record))
