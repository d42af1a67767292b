"""The live-call redirect end to end: handoff invoke over HTTP -> Redis -> a real worker ->
the Twilio SDK -> the emulator's Calls API; and a 21610 send turning into an opt-out."""

import json
import time

import pytest
from twilio.rest import Client

from actions.models import Agent, ApiKey, HandoffLog, Message, OptOut
from tests.factories import make_action, make_handoff, make_twilio_channel
from tests.twilio_emulator import UNKNOWN_CALL_SID

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

XML = '<?xml version="1.0" encoding="UTF-8"?>'
OUR_NUMBER = "+15005550006"


@pytest.fixture
def agent(twilio):
    agent = Agent.objects.create(name="booking_bot")
    action = make_action(make_twilio_channel(twilio))
    action.fallback_handoff = make_handoff("agent_queue")
    action.save()
    agent.actions.add(action)
    agent.handoffs.add(
        make_handoff("escalation_handoff"),
        make_handoff("end_call"),
        make_handoff(
            "billing_desk",
            description="Call out to the billing team's PBX",
            method="invite",
            phone_number="+15557654321",
            outbound_endpoint="pbx.example.com",
            outbound_encryption="UDP/RTP",
        ),
    )
    return agent


@pytest.fixture
def key(agent):
    return ApiKey.issue(agent, "live")[1]


@pytest.fixture
def sdk(twilio):
    """The real SDK on the emulator, as the telephony side would set up a call."""
    client = Client(twilio.account_sid, twilio.auth_token)
    client.api.base_url = twilio.base_url
    return client


def live_call(sdk, caller: str) -> str:
    call = sdk.calls.create(
        to=OUR_NUMBER, from_=caller, twiml="<Response><Say>Connecting your agent</Say></Response>"
    )
    assert call.status == "in-progress"
    return call.sid


def post(client, key, path, body):
    return client.post(
        path,
        json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def invoke_handoff(client, key, name, call_sid):
    response = post(
        client,
        key,
        f"/api/v1/handoffs/{name}/invoke",
        {"conversation_id": "conv-7", "call_sid": call_sid, "reason": "caller_requested_agent"},
    )
    assert response.status_code == 200, response.content
    return response.json()


def wait_for_outcome(log_id, worker, timeout=20.0) -> HandoffLog:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = HandoffLog.objects.get(pk=log_id)
        if log.outcome in ("redirected", "failed"):
            return log
        time.sleep(0.05)
    raise AssertionError(f"the handoff stayed {log.outcome}:\n{worker.output()[-3000:]}")


def updates(twilio, call_sid):
    return twilio.calls[call_sid]["updates"]


def action(log_id) -> str:
    """The callback the redirect's <Dial>/<Refer> reports the transfer's outcome to."""
    from django.conf import settings

    return f'action="{settings.PUBLIC_BASE_URL}/webhooks/twilio/transfer/{log_id}"'


def test_a_refer_on_a_sip_call_is_redirected_with_refer(client, key, twilio, sdk, celery_worker):
    call_sid = live_call(sdk, "sip:alice@pbx.example.com")
    answer = invoke_handoff(client, key, "escalation_handoff", call_sid)
    assert HandoffLog.objects.get(pk=answer["id"]).outcome in ("pending", "redirected")

    log = wait_for_outcome(answer["id"], celery_worker)

    twiml = (
        XML + "<Response><Refer><Sip>tel:+15551234567?X-Reason=escalation</Sip></Refer></Response>"
    )
    redirected = twiml.replace("<Refer>", f"<Refer {action(log.pk)}>")
    assert log.outcome == "redirected", log.outcome_detail
    assert updates(twilio, call_sid) == [{"Twiml": redirected}]
    assert answer["twiml"] == twiml  # the instruction: no callback of its own
    assert log.outcome_detail.startswith("Call redirected with <Refer><Sip>")
    calls = [(r.method, r.path.rsplit("/", 1)[-1]) for r in twilio.requests if "/Calls" in r.path]
    assert calls == [
        ("POST", "Calls.json"),
        ("GET", f"{call_sid}.json"),
        ("POST", f"{call_sid}.json"),
    ]


def test_a_refer_on_a_phone_call_is_redirected_with_dial_number(
    client, key, twilio, sdk, celery_worker
):
    call_sid = live_call(sdk, "+15551112222")
    answer = invoke_handoff(client, key, "escalation_handoff", call_sid)

    log = wait_for_outcome(answer["id"], celery_worker)

    assert log.outcome == "redirected", log.outcome_detail
    assert updates(twilio, call_sid) == [
        {
            "Twiml": XML + f'<Response><Dial {action(log.pk)} timeout="30">'
            "<Number>+15551234567</Number></Dial></Response>"
        }
    ]
    assert log.outcome_detail.startswith("Call redirected with <Dial><Number> to +15551234567")


@pytest.mark.parametrize(
    ("name", "twiml"),
    [
        (
            "billing_desk",
            '<Response><Dial ACTION timeout="30"><Sip>sip:+15557654321@pbx.example.com;'
            "transport=udp</Sip></Dial></Response>",
        ),
        ("end_call", "<Response><Hangup /></Response>"),
    ],
)
def test_an_invite_and_a_bye_redirect_with_their_own_twiml(
    client, key, twilio, sdk, celery_worker, name, twiml
):
    call_sid = live_call(sdk, "+15551112222")
    log = wait_for_outcome(invoke_handoff(client, key, name, call_sid)["id"], celery_worker)
    assert log.outcome == "redirected", log.outcome_detail
    assert updates(twilio, call_sid) == [{"Twiml": XML + twiml.replace("ACTION", action(log.pk))}]


def test_an_unknown_call_fails_with_twilios_20404(client, key, twilio, celery_worker):
    answer = invoke_handoff(client, key, "escalation_handoff", UNKNOWN_CALL_SID)
    log = wait_for_outcome(answer["id"], celery_worker)
    assert log.outcome == "failed"
    assert log.outcome_detail.startswith(
        "Twilio error 20404: Unable to fetch record: The requested resource"
    )
    assert UNKNOWN_CALL_SID not in twilio.calls


def test_a_call_that_has_ended_fails_with_twilios_21220(client, key, twilio, sdk, celery_worker):
    call_sid = live_call(sdk, "+15551112222")
    sdk.calls(call_sid).update(status="completed")
    log = wait_for_outcome(
        invoke_handoff(client, key, "escalation_handoff", call_sid)["id"], celery_worker
    )
    assert log.outcome == "failed"
    assert log.outcome_detail == (
        "Twilio error 21220: Unable to update record: Call is not in-progress. Cannot redirect."
    )
    assert updates(twilio, call_sid) == [{"Status": "completed"}]


def test_transient_twilio_failures_are_retried_until_the_call_is_redirected(
    client, key, twilio, sdk, celery_worker
):
    call_sid = live_call(sdk, "+15551112222")
    twilio.fail_next(2, 503, resource="Calls")
    log = wait_for_outcome(
        invoke_handoff(client, key, "escalation_handoff", call_sid)["id"], celery_worker
    )
    assert log.outcome == "redirected", log.outcome_detail
    assert len(updates(twilio, call_sid)) == 1
    failed = [r for r in twilio.requests if r.method == "POST" and r.status == 503]
    assert len(failed) == 2


def test_transient_failures_give_up_after_the_attempt_limit(
    client, key, twilio, sdk, celery_worker
):
    call_sid = live_call(sdk, "+15551112222")
    twilio.fail_next(10, 503, resource="Calls")
    log = wait_for_outcome(
        invoke_handoff(client, key, "escalation_handoff", call_sid)["id"], celery_worker
    )
    assert log.outcome == "failed"
    assert log.outcome_detail == (
        "Gave up after 5 attempts: Unable to update record: Service Unavailable"
    )
    assert updates(twilio, call_sid) == []


def test_a_21610_send_records_an_opt_out_and_the_next_invoke_is_opted_out_with_fallback(
    client, key, twilio, celery_worker
):
    body = {
        "conversation_id": "conv-8",
        "contact": {"phone_number": "+15005550004"},  # Twilio's magic "unsubscribed" number
        "parameters": {"booking_reference": "ABC123"},
    }
    path = "/api/v1/actions/send_booking_confirmation/invoke"
    first = post(client, key, path, body)
    assert first.status_code == 202

    deadline = time.monotonic() + 20
    while not OptOut.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    opt_out = OptOut.objects.get()
    assert (opt_out.number, opt_out.sender, opt_out.source) == (
        "+15005550004",
        OUR_NUMBER,
        "provider",
    )
    assert Message.objects.get().error_code == "21610"

    second = post(client, key, path, body)
    assert second.status_code == 422
    error = second.json()["error"]
    assert error["code"] == "opted_out"
    assert error["fallback"]["handoff"] == "agent_queue"
    assert 'call transfer_call with destination "agent_queue"' in error["say"]
    assert Message.objects.count() == 1


# --- The transfer's outcome, from Twilio's signed action callback ------------------------------


def wait_for_transfer(log_id, timeout=20.0) -> HandoffLog:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = HandoffLog.objects.get(pk=log_id)
        if log.transfer_outcome:
            return log
        time.sleep(0.05)
    raise AssertionError("no transfer outcome was recorded")


def test_an_answered_transfer_records_how_long_the_bridged_call_lasted(
    client, key, twilio, sdk, celery_worker
):
    call_sid = live_call(sdk, "+15551112222")
    answer = invoke_handoff(client, key, "escalation_handoff", call_sid)
    log = wait_for_transfer(answer["id"])
    assert (log.transfer_outcome, log.bridged_seconds) == ("completed", 7)
    assert log.ring_seconds is not None and log.transfer_reported_at is not None
    [callback] = twilio.wait_for_dial_callbacks(1)
    assert callback["http_status"] == 200
    assert callback["answer"].endswith("<Response><Hangup /></Response>")
    assert twilio.calls[call_sid]["status"] == "completed"


def test_a_busy_transfer_is_recorded_and_the_caller_hears_a_sentence_not_silence(
    client, key, twilio, sdk, celery_worker
):
    twilio.set_dial_outcome("+15551234567", "busy")
    call_sid = live_call(sdk, "+15551112222")
    log = wait_for_transfer(invoke_handoff(client, key, "escalation_handoff", call_sid)["id"])
    assert (log.transfer_outcome, log.bridged_seconds) == ("busy", 0)
    [callback] = twilio.wait_for_dial_callbacks(1)
    assert callback["params"]["DialCallStatus"] == "busy"
    assert "<Say>Sorry, nobody could take your call right now." in callback["answer"]
    assert callback["answer"].endswith("<Hangup /></Response>")


def test_a_forged_transfer_callback_is_refused_and_changes_nothing(
    client, key, twilio, sdk, celery_worker
):
    twilio.set_dial_outcome("+15551234567", "no-answer")
    delay, twilio.callback_delay = twilio.callback_delay, 5  # the real one comes after
    try:
        call_sid = live_call(sdk, "+15551112222")
        answer = invoke_handoff(client, key, "escalation_handoff", call_sid)
        wait_for_outcome(answer["id"], celery_worker)
        url = f"/webhooks/twilio/transfer/{answer['id']}"
        forged = client.post(
            url, {"DialCallStatus": "completed", "DialCallDuration": "600"},
            headers={"X-Twilio-Signature": "forged"},
        )  # fmt: skip
        missing = client.post(url, {"DialCallStatus": "completed"})
        assert (forged.status_code, missing.status_code) == (403, 403)
        assert HandoffLog.objects.get(pk=answer["id"]).transfer_outcome == ""
    finally:
        twilio.callback_delay = delay
    log = wait_for_transfer(answer["id"])
    assert log.transfer_outcome == "no-answer"


# --- The fallback chain: busy -> next -> answered; all fail -> back to the agent -------------


@pytest.fixture
def chain(agent):
    """sales (busy) -> support (no answer) -> agent_queue, each a phone number."""
    make_handoff("support", description="Support line", phone_number="+15005550102")
    sales = make_handoff(
        "sales",
        description="Sales team",
        phone_number="+15005550101",
        fallbacks=["support", "escalation_handoff"],
    )
    agent.handoffs.add(sales)
    return sales


def chain_of(first_id) -> list[HandoffLog]:
    return [HandoffLog.objects.get(pk=first_id)] + list(
        HandoffLog.objects.filter(chain_start_id=first_id).order_by("chain_step")
    )


def test_busy_then_no_answer_then_answered_makes_three_linked_entries(
    client, key, twilio, sdk, chain, celery_worker
):
    call_sid = live_call(sdk, "+15551112222")
    first = invoke_handoff(client, key, "sales", call_sid)["id"]
    callbacks = twilio.wait_for_dial_callbacks(3)
    steps = chain_of(first)
    assert [(s.handoff_name, s.transfer_outcome) for s in steps] == [
        ("sales", "busy"),
        ("support", "no-answer"),
        ("escalation_handoff", "completed"),
    ]
    assert [s.chain_step for s in steps] == [0, 1, 2]
    assert {s.call_sid for s in steps} == {call_sid}
    # Twilio continued the call with each next step's TwiML, from the callback's answer.
    assert f"/webhooks/twilio/transfer/{steps[1].pk}" in callbacks[0]["answer"]
    assert "<Number>+15005550102</Number>" in callbacks[0]["answer"]
    assert callbacks[2]["answer"].endswith("<Hangup /></Response>")
    assert twilio.calls[call_sid]["status"] == "completed"


def test_when_every_transfer_fails_the_call_returns_to_the_agent_with_the_reason(
    client, key, agent, twilio, sdk, chain, celery_worker
):
    agent.return_url = "https://agent.example.com/twiml/return"
    agent.save()
    twilio.set_dial_outcome("+15551234567", "failed")  # the last fallback fails too
    call_sid = live_call(sdk, "+15551112222")
    first = invoke_handoff(client, key, "sales", call_sid)["id"]
    callbacks = twilio.wait_for_dial_callbacks(3)
    assert [s.transfer_outcome for s in chain_of(first)] == ["busy", "no-answer", "failed"]
    assert callbacks[2]["answer"].endswith(
        '<Response><Redirect method="POST">https://agent.example.com/twiml/return?'
        "reason=transfer_failed%3Afailed</Redirect></Response>"
    )


# --- Warm transfer: the summary as a header and a whisper; a decline moves on ----------------


def test_a_declined_whisper_moves_the_call_on_to_the_next_fallback(
    client, key, agent, twilio, sdk, celery_worker
):
    make_handoff("support", description="Support line", phone_number="+15005550199")
    warm = make_handoff(
        "sales_warm",
        description="Sales, warm",
        phone_number="+15551230100",
        fallbacks=["support"],
        transfer={"mode": "warm", "whisper": True, "caller_id": "caller", "send_digits": "w1"},
    )
    agent.handoffs.add(warm)
    twilio.set_dial_outcome("+15551230100", "declined")
    call_sid = live_call(sdk, "+15551112222")
    response = post(
        client, key, "/api/v1/handoffs/sales_warm/invoke",
        {"call_sid": call_sid, "summary": "Ann wants to upgrade her plan", "reason": "upgrade"},
    )  # fmt: skip
    first = response.json()["id"]
    callbacks = twilio.wait_for_dial_callbacks(2)
    [update] = updates(twilio, call_sid)[:1]
    assert 'callerId="+15551112222"' in update["Twiml"]
    assert 'sendDigits="w1"' in update["Twiml"]
    assert "/webhooks/twilio/whisper/" in update["Twiml"]
    [whisper] = twilio.whispers
    assert "Ann wants to upgrade her plan" in whisper["answer"]
    assert "Press 1 to accept the call" in whisper["answer"]
    assert (whisper["pressed"], whisper["gather_status"]) == ("2", 200)
    steps = chain_of(first)
    assert [(s.handoff_name, s.transfer_outcome) for s in steps] == [
        ("sales_warm", "declined"),
        ("support", "completed"),
    ]
    assert steps[0].whisper_declined and steps[1].summary == "Ann wants to upgrade her plan"
    assert "<Number>+15005550199</Number>" in callbacks[0]["answer"]


def test_a_warm_transfer_on_a_sip_leg_carries_the_summary_header(
    client, key, agent, twilio, sdk, celery_worker
):
    warm = make_handoff(
        "escalation_warm",
        description="Escalation, warm",
        phone_number="+15551234567",
        transfer={"mode": "warm", "summary_header": "X-Agent-Summary"},
    )
    agent.handoffs.add(warm)
    call_sid = live_call(sdk, "sip:alice@pbx.example.com")
    response = post(
        client, key, "/api/v1/handoffs/escalation_warm/invoke",
        {"call_sid": call_sid, "summary": "Billing dispute, account 42"},
    )  # fmt: skip
    wait_for_outcome(response.json()["id"], celery_worker)
    [update] = updates(twilio, call_sid)[:1]
    assert (
        "<Sip>tel:+15551234567?X-Agent-Summary=Billing%20dispute%2C%20account%2042</Sip>"
        in (update["Twiml"])
    )
