"""POST /api/v1/handoffs/<name>/invoke: the SIP instruction, the log, the live-call redirect."""

from django.db import transaction

from actions.api.bodies import handoff_body
from actions.api.errors import ApiError
from actions.channels import credentials
from actions.handoffs.destinations import agent_handoffs, closed_say, describe
from actions.handoffs.redirect import NO_CREDENTIALS, warm_header
from actions.handoffs.sip import render_headers
from actions.handoffs.tasks import enqueue_redirect
from actions.models import Agent, ApiKey, Handoff, HandoffLog, HandoffOutcome


def unknown_handoff(agent: Agent, name: str) -> ApiError:
    names = list(agent_handoffs(agent).values_list("name", flat=True))
    if names:
        say = (
            f"That destination does not exist. Use one of: {', '.join(names)}; or carry on "
            "helping the caller."
        )
    else:
        say = "Transfers are not available. Do not try again; carry on helping the caller."
    return ApiError(
        404, "unknown_handoff", f"There is no handoff named “{name}” for this agent.", say=say
    )


def closed(key: ApiKey, handoff: Handoff, request) -> ApiError:
    """422 handoff_closed, logged: when it opens, and the after-hours alternative (if open) or
    a text instead."""
    agent = key.agent
    text = handoff.opening_text()
    message = f"“{handoff.name}” is {text}: nothing was transferred."
    say, after = closed_say(handoff, text, agent.actions.filter(enabled=True).exists())
    error = ApiError(422, "handoff_closed", message, say=say)
    if after is not None:
        error.extra["after_hours"] = describe(after)
    _entry(key, handoff, request, outcome=HandoffOutcome.CLOSED, outcome_detail=message).save()
    return error


def _entry(key: ApiKey, handoff: Handoff, request, **fields) -> HandoffLog:
    """The log entry of one handoff invoke (unsaved): who asked, for which call, and why."""
    return HandoffLog(
        handoff=handoff,
        handoff_name=handoff.name,
        agent=key.agent,
        agent_name=key.agent.name,
        environment=key.environment,
        source="invoke",
        conversation_id=request.conversation_id,
        call_sid=request.call_sid,
        reason=request.reason,
        summary=request.summary,
        variables=request.variables,
        **fields,
    )


def invoke_handoff(key: ApiKey, name: str, body) -> dict:
    """Resolve the agent's handoff, log it, and answer the instruction (the 200 body).

    With a call SID and Twilio credentials, the live call is redirected by the worker once
    the log row is committed (outcome "pending", then "redirected" or "failed").
    """
    agent = key.agent
    handoff = agent_handoffs(agent).filter(name=name).first()
    if handoff is None:
        raise unknown_handoff(agent, name)
    request = handoff_body(body)
    opening = handoff.opening()
    if not opening.open:
        raise closed(key, handoff, request)
    answer = describe(handoff)
    log = _entry(key, handoff, request, instruction=answer["sip"], twiml=answer["twiml"])
    # The instruction as this call gets it: header templates rendered over the call, and a
    # warm transfer's summary header.
    answer["sip"]["sip_headers"] = render_headers(handoff.sip_headers, log) + warm_header(
        handoff, log
    )
    redirect = False
    if request.call_sid:
        if credentials.for_agent(agent) is None:
            log.outcome_detail = NO_CREDENTIALS
        else:
            redirect = True
            log.outcome = HandoffOutcome.PENDING
            log.outcome_detail = "Queued: the worker redirects the live call through Twilio."
    with transaction.atomic():
        log.save()
        if redirect:
            enqueue_redirect(log)
    return {"id": str(log.pk), **answer}
