"""A live-call redirect whose task was lost is queued again by the reconciliation and the call
redirected once; one lost for too long is failed with a reason. A real worker runs both."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone
from twilio.rest import Client

from actions.handoffs import tasks as handoff_tasks
from actions.handoffs.tasks import GIVE_UP_AFTER, LOST, STALE_PENDING, reconcile_redirects
from actions.models import Agent, ApiKey, HandoffLog
from tests.factories import make_action, make_handoff, make_twilio_channel
from tests.integration.test_handoff_redirect import live_call, updates, wait_for_outcome

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def lost_redirect(client, twilio, monkeypatch):
    """A handoff invoked on a live call whose redirect task never reached a worker."""
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_twilio_channel(twilio)))
    agent.handoffs.add(make_handoff("agent_queue"))
    _, key = ApiKey.issue(agent, "live")
    sdk = Client(twilio.account_sid, twilio.auth_token)
    sdk.api.base_url = twilio.base_url
    call_sid = live_call(sdk, "+15551234567")
    lost = []
    with monkeypatch.context() as patch:
        patch.setattr(handoff_tasks.redirect_call, "delay", lost.append)  # the broker loses it
        response = client.post(
            "/api/v1/handoffs/agent_queue/invoke",
            json.dumps({"conversation_id": "conv-1", "call_sid": call_sid}),
            content_type="application/json",
            headers={"Authorization": f"Bearer {key}"},
        )
    assert response.status_code == 200
    log = HandoffLog.objects.get(pk=response.json()["id"])
    assert (log.outcome, lost) == ("pending", [log.pk])
    return log, call_sid


def reconcile() -> dict:
    return reconcile_redirects.apply_async(ignore_result=False).get(timeout=20)


def test_a_lost_redirect_is_queued_again_and_the_call_redirected_once(
    lost_redirect, twilio, celery_worker
):
    log, call_sid = lost_redirect
    assert reconcile()["requeued"] == 0  # not due for long enough yet
    HandoffLog.objects.filter(pk=log.pk).update(
        due_at=timezone.now() - STALE_PENDING - timedelta(seconds=1)
    )

    assert reconcile()["requeued"] == 1
    log = wait_for_outcome(log.pk, celery_worker)

    assert log.outcome == "redirected", log.outcome_detail
    assert len(updates(twilio, call_sid)) == 1
    assert reconcile() == {"requeued": 0, "lost": 0, "interrupted": 0}


def test_a_redirect_lost_for_too_long_is_failed_with_a_reason(lost_redirect, twilio, celery_worker):
    log, call_sid = lost_redirect
    HandoffLog.objects.filter(pk=log.pk).update(
        created_at=timezone.now() - GIVE_UP_AFTER - timedelta(seconds=1)
    )

    assert reconcile()["lost"] == 1

    log.refresh_from_db()
    assert (log.outcome, log.outcome_detail) == ("failed", LOST)
    assert "actions.reconcile_redirects" in celery_worker.output()
    assert updates(twilio, call_sid) == []
