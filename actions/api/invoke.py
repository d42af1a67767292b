"""Invoking a send-text action at call time: the work behind POST /api/v1/actions/<name>/invoke.

A plain function, callable without HTTP. The order of the checks is the contract's:
authenticate (done by the caller), find the action, validate the parameters, consent, resolve
the recipient, render the body, the agent's text limits, opt-out, then write the message and
queue it on commit.
"""

import hashlib
import json
from dataclasses import dataclass
from functools import cache

from django.db import IntegrityError, connection

from actions import gotemplate
from actions.agents.limits import CONVERSATION_TEXTS, RECIPIENT_TEXTS, TEXT_WINDOW
from actions.api import plain
from actions.api.bodies import invoke_body
from actions.api.errors import ApiError, invalid_request
from actions.channels import credentials
from actions.common import limits
from actions.handoffs.destinations import describe, transfer_offer
from actions.messaging import outbox, schemas, sending, sms, templating
from actions.models import (
    Agent,
    ApiKey,
    ConsentRecord,
    Handoff,
    Message,
    MessagingChannel,
    SendTextAction,
)

MAX_IDEMPOTENCY_KEY = 255


def request_hash(action_name: str, body) -> str:
    canonical = json.dumps([action_name, body], sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def ending(number: str) -> str:
    return number[-4:]


def accepted(message: Message) -> dict:
    """The 202 answer; rebuilt identically for an idempotent replay."""
    return {
        "id": str(message.id),
        "status": "queued",
        "to": message.to,
        "from": message.sender,
        "body": message.body,
        "say": (
            "Tell the caller the text message has been sent to the number ending "
            f"{ending(message.to)}."
        ),
    }


def check_parameters(action, effective: dict, parameters: dict) -> None:
    """Validate against the effective schema; undeclared parameters are refused too.

    `details` keep each problem's JSON pointer and the validator's words; `say` names every
    problem in plain words (api/plain.py): what to ask the caller for, what to correct.
    """
    problems = []
    missing = []  # labels of required values not sent: the caller is asked for them
    wrong = []  # plain clauses about values sent but not valid
    declared = effective.get("properties", {})
    for name in parameters:
        if name not in declared:
            problems.append(
                {
                    "path": f"/parameters/{name}",
                    "message": f"“{name}” is not a parameter of {action.name}.",
                }
            )
            wrong.append(f"“{name}” is not something {action.name} takes (leave it out)")
    validator = schemas.ParametersValidator(effective)
    for error in sorted(validator.iter_errors(parameters), key=lambda e: list(e.absolute_path)):
        path = "/parameters" + "".join(f"/{p}" for p in error.absolute_path)
        if error.validator == "required":
            name = error.message.split("'")[1] if "'" in error.message else ""
            properties = (
                error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
            )
            missing.append(plain.label(name, properties.get(name, {})))
            path = f"{path}/{name}"
            message = f"“{name}” is required."
        else:
            message = error.message
            if error.validator == "maxLength" and isinstance(error.instance, str):
                # Not the validator's words: they would echo the whole text back.
                message = (
                    f"Is {len(error.instance):,} characters long; at most "
                    f"{error.validator_value:,}."
                )
            wrong.append(plain.problem(error, _what(error, declared)))
        problems.append({"path": path, "message": message})
    if not problems:
        return
    again = f"call {action.name} again"
    clauses = "; ".join(wrong)
    if missing and not wrong:
        say = f"Ask the caller for {plain.join(missing)}, then {again}."
    elif not missing:
        say = f"Correct {'this' if len(wrong) == 1 else 'these'}, then {again}: {clauses}."
    else:
        say = f"Ask the caller for {plain.join(missing)}. Also correct: {clauses}. Then {again}."
    raise ApiError(
        400,
        "invalid_parameters",
        f"The parameters do not match {action.name}'s schema.",
        details=problems,
        say=say,
    )


def _what(error, declared: dict) -> str:
    """The label of the value an error is about: the parameter, or an item or field in it."""
    path = list(error.absolute_path)
    if not path:
        return "the parameters"
    top = plain.label(str(path[0]), declared.get(path[0], {}))
    if len(path) == 1:
        return f"the {top}" if not top.startswith("the ") else top
    leaf = path[-1]
    if isinstance(leaf, int):
        return f"item {leaf + 1} of the {top}"
    return f"the {plain.label(str(leaf), error.schema)} in the {top}"


# The fields an invoke never reads stay deferred (Django loads one if it is read after all).
# Every other field of the two models is selected, converted and set by name: a field added to
# a model is loaded with no change here.
ACTION_DEFERRED = ("created_at", "updated_at")
CHANNEL_DEFERRED = ("auth_token_encrypted", "created_at", "updated_at")


@dataclass(frozen=True)
class _Columns:
    """The fields of a model that the lookup selects, in order, each with its column
    expression and the converters the ORM would apply to its database value."""

    model: type
    fields: list
    columns: list
    converters: list

    @classmethod
    def of(cls, model, deferred: tuple[str, ...]) -> "_Columns":
        fields = [f for f in model._meta.concrete_fields if f.name not in deferred]
        columns = [f.get_col(model._meta.db_table) for f in fields]
        converters = [
            connection.ops.get_db_converters(c) + c.get_db_converters(connection) for c in columns
        ]
        return cls(model, fields, columns, converters)

    def instance(self, values):
        """A model instance from the database values, set on the fields by name."""
        converted = []
        for column, converters, value in zip(self.columns, self.converters, values, strict=True):
            for converter in converters:
                value = converter(value, column, connection)
            converted.append(value)
        return self.model.from_db(connection.alias, [f.attname for f in self.fields], converted)


@cache
def _find_action_sql(vendor: str) -> tuple[str, _Columns, _Columns]:
    """The lookup's SQL and what its columns hold, in order; built once per database."""
    action = _Columns.of(SendTextAction, ACTION_DEFERRED)
    channel = _Columns.of(MessagingChannel, CHANNEL_DEFERRED)
    quote = connection.ops.quote_name
    columns = [f"a.{quote(f.column)}" for f in action.fields]
    columns += [f"c.{quote(f.column)}" for f in channel.fields]
    # Whether the channel stores an auth token: enough to tell whether it can send, without
    # reading the (encrypted) token on every invoke.
    columns.append(f"c.{quote('auth_token_encrypted')} <> ''")
    through = SendTextAction.agents.through._meta
    sql = (
        f"SELECT {', '.join(columns)} FROM {SendTextAction._meta.db_table} a "  # noqa: S608
        f"JOIN {through.db_table} aa ON aa.sendtextaction_id = a.id "
        f"JOIN {MessagingChannel._meta.db_table} c ON c.id = a.channel_id "
        "WHERE aa.agent_id = %s AND a.name = %s AND a.enabled"
    )
    return sql, action, channel


def find_action(agent_id: int, name: str) -> SendTextAction | None:
    """The agent's enabled action of that name, with its channel, in one query.

    Written as SQL because it runs on every invoke, and building it with the ORM cost more
    than running it (bench/api_bench.py); the fields an invoke does not need stay deferred.
    """
    sql, action_columns, channel_columns = _find_action_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, [agent_id, name])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(action_columns.fields)
    action = action_columns.instance(row[:split])
    action.channel = channel_columns.instance(row[split:-1])
    action.channel.has_stored_token = bool(row[-1])
    return action


def cannot_send(action: SendTextAction, code: str, message: str, say: str, offer: str) -> ApiError:
    """A 422 that sends nothing. With the action's fallback handoff (loaded only here, off the
    success path), the error carries it as `fallback` and `say` offers the transfer: `offer`
    is the sentence's start, completed by the handoff's offer."""
    error = ApiError(422, code, message, say=say)
    if action.fallback_handoff_id:
        handoff = Handoff.objects.filter(pk=action.fallback_handoff_id).first()
        if handoff is not None:
            error.say = f"{offer} {transfer_offer(handoff)}"
            error.extra["fallback"] = describe(handoff)
    return error


def invoke_action(key: ApiKey, action_name: str, body, idempotency_key: str = "") -> dict:
    """Queue the action's message and return the 202 answer; raise ApiError otherwise."""
    agent = key.agent
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY:
        raise invalid_request(f"Idempotency-Key is longer than {MAX_IDEMPOTENCY_KEY} characters.")
    action = find_action(agent.pk, action_name)
    if action is None:
        raise ApiError(
            404,
            "unknown_action",
            f"There is no action named “{action_name}” for this agent.",
            say="That tool is not available. Do not call it again; carry on helping the caller.",
        )
    return send_action(action, body, agent=agent, environment=key.environment,
                       idempotency_key=idempotency_key)  # fmt: skip


def send_action(
    action: SendTextAction,
    body,
    *,
    agent: Agent | None,
    environment: str,
    idempotency_key: str = "",
    is_test: bool = False,
) -> dict:
    """Everything after the action is found: shared by the API and the builder's Try it."""
    fingerprint = request_hash(action.name, body)
    if idempotency_key:
        earlier = Message.objects.filter(agent=agent, idempotency_key=idempotency_key).first()
        if earlier is not None:
            return replay(earlier, fingerprint)

    request = invoke_body(body)
    problem = credentials.problem(action.channel)
    if problem:
        # Checked before the parameters: no point asking the caller for them.
        raise cannot_send(
            action,
            "channel_unavailable",
            f"{problem} Nothing was sent.",
            say="Tell the caller the text message cannot be sent right now; offer another way "
            "to help.",
            offer="Tell the caller you cannot send the text message right now;",
        )
    effective = action.effective_schema()
    check_parameters(action, effective, request.parameters)
    if action.require_consent and request.parameters.get(schemas.CONSENT_PARAMETER) is not True:
        ask = (
            "Ask the caller whether they agree to receive a text message. Call again with "
            f"{schemas.CONSENT_PARAMETER} set to true only if they say yes; if they decline, do "
            "not send it and do not ask again"
        )
        raise cannot_send(
            action,
            "consent_required",
            "The caller has not consented to receive this text message; nothing was sent.",
            say=f"{ask}.",
            offer=f"{ask}, and",
        )
    data = templating.template_data(
        request.parameters, request.variables, request.contact_number, request.conversation_id
    )
    try:
        to = sending.resolve_recipient(action, data)
    except sending.RecipientUnavailable as exc:
        raise no_recipient(action, exc) from None
    try:
        text = sending.render_body(action, data)
    except gotemplate.TemplateError as exc:
        raise ApiError(
            422,
            "template_error",
            f"The message could not be written: {templating.describe_error(exc)}",
            say="Tell the caller the text message could not be sent; offer another way to help.",
        ) from None
    if not text.strip():
        raise ApiError(
            400,
            "invalid_parameters",
            "The message is empty.",
            details=[{"path": "/parameters/message", "message": "The message is empty."}],
            say="Write the text message to send, then call again.",
        )
    analysis = sms.analyse(text)
    if analysis.segments > action.max_segments or analysis.too_long:
        raise too_long(action, text, analysis)
    channel = action.channel
    sender = channel.sender_for(environment)
    held = hold_texts(action, agent, to, request.conversation_id)
    try:
        message = Message(
            action=action,
            action_name=action.name,
            channel=channel,
            channel_name=channel.name,
            agent=agent,
            agent_name=agent.name if agent else "",
            is_test=is_test,
            environment=environment,
            conversation_id=request.conversation_id,
            to=to,
            sender=sender,
            body=text,
            parameters=request.parameters,
            variables=request.variables,
            provider=channel.provider,
            idempotency_key=idempotency_key,
            request_hash=fingerprint if idempotency_key else "",
        )
        detail = f"Invoked by {agent.name}" if agent else "Tried from the builder"
        consent = (
            ConsentRecord(
                reported=request.parameters[schemas.CONSENT_PARAMETER],
                prompt=action.consent_question,
            )
            if action.require_consent
            else None
        )
        if not outbox.create(message, detail, consent):
            raise opted_out(action)
    except IntegrityError:
        held.give_back()
        if not idempotency_key:
            raise
        # Another request with the same key won the race: answer as it did.
        earlier = Message.objects.get(agent=agent, idempotency_key=idempotency_key)
        return replay(earlier, fingerprint)
    except BaseException:
        held.give_back()  # only an accepted text counts against the limits
        raise
    return accepted(message)


@dataclass
class HeldTexts:
    """The counts one text took from its agent's limits, until its message is written."""

    taken: list[tuple[str, str, limits.Rate]]

    def give_back(self) -> None:
        for scope, client, rate in self.taken:
            limits.give_back(scope, client, rate)
        self.taken = []


def _digest(value: str) -> str:
    # Names a number or a conversation in Redis without holding it.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def hold_texts(
    action: SendTextAction, agent: Agent | None, to: str, conversation_id: str
) -> HeldTexts:
    """Count the text against its agent's limits: to one number, and within one conversation
    (when the invoke names one), in any 24 hours; 422 past either, counting nothing.

    Counted per agent, across all its keys. Try it and the channel test message (no agent)
    are an admin's sends, not limited.
    """
    if agent is None:
        return HeldTexts([])
    checks = [(RECIPIENT_TEXTS, to, agent.recipient_text_limit, recipient_limit_reached)]
    if conversation_id:
        limit = agent.conversation_text_limit
        checks.append((CONVERSATION_TEXTS, conversation_id, limit, conversation_limit_reached))
    counts = [
        (scope, f"{agent.pk}:{_digest(what)}", limits.Rate(amount, TEXT_WINDOW))
        for scope, what, amount, _ in checks
    ]
    refused = limits.take_all(counts)  # one round trip to Redis for both
    if refused is not None:
        scope, _, amount, refusal = checks[refused]
        limits.note_refusal(str(agent.pk), scope)
        raise refusal(action, amount)
    return HeldTexts(counts)


def no_recipient(action: SendTextAction, exc: "sending.RecipientUnavailable") -> ApiError:
    """Nothing to send to. The agent is told to ask for a number only where the tool takes
    one (the action asks for a number, and the caller's is unknown or the one given is not
    usable); otherwise it is told the text cannot be sent, and offered the fallback."""
    message = f"No number to send the text message to: {exc}"
    again = f"then call {action.name} again with {schemas.NUMBER_PARAMETER} set to it"
    if exc.given:
        say = (
            "The number the caller gave is not a phone number that can be texted. Ask them for "
            "it again, digit by digit and with the country code if it is not a local number, "
            f"{again}."
        )
        return ApiError(
            400,
            "invalid_parameters",
            message,
            details=[{"path": f"/parameters/{schemas.NUMBER_PARAMETER}", "message": str(exc)}],
            say=say,
        )
    if action.asks_for_number and "is empty" in str(exc):
        return ApiError(
            422,
            "recipient_unavailable",
            message,
            say=f"The caller's number is not known on this call. Ask them for the number to send "
            f"the text message to, {again}.",
        )
    return cannot_send(
        action,
        "recipient_unavailable",
        message,
        say="Tell the caller you cannot send the text message because their number is not "
        "available on this call; offer another way to help.",
        offer="Tell the caller you cannot send the text message because their number is not "
        "available on this call;",
    )


def recipient_limit_reached(action: SendTextAction, amount: int) -> ApiError:
    return cannot_send(
        action,
        "recipient_limit_reached",
        f"This agent has sent this number {amount} text messages in the last 24 hours, its "
        "limit; nothing was sent.",
        say="Tell the caller you cannot send more text messages to this number today; offer "
        "another way to help.",
        offer="Tell the caller you cannot send more text messages to this number today;",
    )


def conversation_limit_reached(action: SendTextAction, amount: int) -> ApiError:
    return cannot_send(
        action,
        "conversation_limit_reached",
        f"This agent has sent {amount} text messages in this conversation, its limit; nothing "
        "was sent.",
        say="Tell the caller you cannot send more text messages during this call; offer "
        "another way to help.",
        offer="Tell the caller you cannot send more text messages during this call;",
    )


def too_long(action: SendTextAction, text: str, analysis: "sms.SmsAnalysis") -> ApiError:
    """400: the body needs more segments than the action sends (or more characters than a
    provider takes: Twilio, 1,600); `say` tells the agent how much shorter to write it."""
    limit = action.max_segments
    room = sms.fitting_units(analysis.encoding, limit)
    over = analysis.units - room
    written = (
        f"The message would be {analysis.characters:,} characters, {analysis.segments} SMS "
        f"segments in {analysis.encoding}; this action sends at most {limit} "
        f"({room:,} {analysis.encoding} characters)."
    )
    if analysis.too_long and analysis.segments <= limit:
        over = analysis.characters - sms.MAX_BODY_CHARACTERS
        written = (
            f"The message would be {analysis.characters:,} characters long; at most "
            f"{sms.MAX_BODY_CHARACTERS:,} are sent."
        )
    if (action.message_template or "").strip():
        return ApiError(
            400,
            "invalid_parameters",
            written,
            details=[{"path": "/parameters", "message": written}],
            say="Some of the values are too long for a text message. Use shorter values, then "
            f"call {action.name} again.",
        )
    unicode = (
        " (it uses characters outside the basic SMS alphabet, so fewer fit in each segment)"
        if analysis.encoding == "UCS-2"
        else ""
    )
    return ApiError(
        400,
        "invalid_parameters",
        written,
        details=[{"path": "/parameters/message", "message": written}],
        say=f"The text message is too long{unicode}: shorten it by at least {over:,} characters, "
        f"to at most {room:,}, then call {action.name} again.",
    )


def opted_out(action: SendTextAction) -> ApiError:
    return cannot_send(
        action,
        "opted_out",
        "This number has opted out of text messages from this sender; nothing was sent.",
        say=(
            "Tell the caller their number has opted out of our text messages, so none was "
            "sent. Offer to help another way."
        ),
        offer=(
            "Tell the caller you cannot send the text message because their number has opted "
            "out of our text messages;"
        ),
    )


def replay(earlier: Message, fingerprint: str) -> dict:
    if earlier.request_hash != fingerprint:
        raise ApiError(
            409,
            "idempotency_conflict",
            "This Idempotency-Key was already used with a different request.",
            say="Do not retry this request; carry on helping the caller.",
        )
    return accepted(earlier)
