"""Schemathesis against /api/v1/openapi.json: generated requests, seeded and bounded, never a 5xx.

Every operation of the document is called with bodies, paths and headers generated from its
schemas (valid and invalid ones), through the WSGI application, with a real API key.
"""

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from actions.models import Agent, ApiKey
from builder.wsgi import application
from tests.factories import make_action, make_channel, make_handoff

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)

# Requests go through the WSGI handler, which closes the connection after each: no wrapping
# transaction can hold them.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def key():
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_channel()))
    agent.handoffs.add(make_handoff("agent_queue"))
    return ApiKey.issue(agent, "sandbox")[1]


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,  # seeded: the same examples every run
    suppress_health_check=list(HealthCheck),
)
def test_no_generated_request_gets_a_server_error(case, key):
    case.headers = {**(case.headers or {}), "Authorization": f"Bearer {key}"}
    # Names that exist, so that generated bodies reach validation, templating and the database
    # rather than stopping at a 404.
    if case.path_parameters and "name" in case.path_parameters:
        handoff = "/handoffs/" in case.path
        case.path_parameters["name"] = "agent_queue" if handoff else "send_booking_confirmation"
    response = case.call()
    assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.text}"
