"""A live-call redirect whose task was lost is failed with a reason by the reconciliation,
run by a real worker from Celery's beat schedule entry."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from actions.handoffs import tasks as handoff_tasks
from actions.handoffs.tasks import LOST, STALE_PENDING, reconcile_redirects
from actions.models import Agent, ApiKey, HandoffLog
from tests.factories import make_action, make_handoff, make_twilio_channel

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

CALL_SID = "CA" + "b" * 32


def test_a_redirect_whose_task_was_lost_is_failed_by_the_reconciliation(
    client, twilio, celery_worker, monkeypatch
):
    agent = Agent.objects.create(name="booking_bot")
    agent.actions.add(make_action(make_twilio_channel(twilio)))
    agent.handoffs.add(make_handoff("agent_queue"))
    _, key = ApiKey.issue(agent, "live")
    lost = []
    # The broker loses the task: it is never delivered to a worker.
    monkeypatch.setattr(handoff_tasks.redirect_call, "delay", lost.append)

    response = client.post(
        "/api/v1/handoffs/agent_queue/invoke",
        json.dumps({"conversation_id": "conv-1", "call_sid": CALL_SID}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert response.status_code == 200
    log = HandoffLog.objects.get(pk=response.json()["id"])
    assert (log.outcome, lost) == ("pending", [log.pk])

    # Not yet stale: the reconciliation leaves it to its task.
    assert reconcile_redirects.apply_async(ignore_result=False).get(timeout=20) == 0
    HandoffLog.objects.filter(pk=log.pk).update(
        updated_at=timezone.now() - STALE_PENDING - timedelta(seconds=1)
    )
    assert reconcile_redirects.apply_async(ignore_result=False).get(timeout=20) == 1

    log.refresh_from_db()
    assert (log.outcome, log.outcome_detail) == ("failed", LOST)
    assert "actions.reconcile_redirects" in celery_worker.output()
    assert not [r for r in twilio.requests if "/Calls" in r.path]
