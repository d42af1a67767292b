import logging
import sys

import pytest
from django.db import IntegrityError

from actions.ops.logformat import Formatter


def formatted(record_args: tuple, exc_info=None) -> str:
    record = logging.LogRecord("actions.x", logging.ERROR, __file__, 1, *record_args, exc_info)
    return Formatter("%(message)s").format(record)


def test_a_phone_number_in_a_log_line_is_masked():
    line = formatted(("Sending to %s via sip:%s@pbx", ("+15551234567", "+441234567890")))
    assert line == "Sending to +155…67 via sip:+441…90@pbx"


def test_a_database_error_is_logged_without_its_text_which_can_quote_the_row():
    try:
        raise IntegrityError(
            'null value in column "sender" violates not-null constraint\n'
            "DETAIL:  Failing row contains (7, queued, Secret code 4821, 15551234567)."
        )
    except IntegrityError:
        line = formatted(("API error in %s", ("invoke",)), sys.exc_info())
    assert "IntegrityError" in line and "Traceback" in line and "test_logformat.py" in line
    assert "4821" not in line and "5551234567" not in line
    assert "the database's text is not logged" in line


def test_other_errors_keep_their_text_with_numbers_masked():
    try:
        raise ValueError("could not reach +15551234567")
    except ValueError:
        line = formatted(("Failed: %s", ("x",)), sys.exc_info())
    assert "ValueError: could not reach +155…67" in line


@pytest.mark.django_db
def test_a_refused_permission_is_one_line_without_its_traceback(client, reviewer_user, caplog):
    client.force_login(reviewer_user)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get("/actions/").status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    line = Formatter("%(levelname)s %(name)s: %(message)s").format(record)
    assert line == "WARNING django.request: Forbidden (Permission denied): /actions/"
