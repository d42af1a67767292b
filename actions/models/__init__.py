from actions.models.action import RecipientMode, SendTextAction
from actions.models.agent import Agent, ApiKey
from actions.models.channel import Environment, MessagingChannel, Provider
from actions.models.handoff import (
    Encryption,
    Handoff,
    HandoffLog,
    HandoffOutcome,
    SipMethod,
    TransferOutcome,
)
from actions.models.message import (
    ConsentRecord,
    Message,
    MessageEvent,
    MessageStatus,
    OptOut,
    OptOutSource,
)

__all__ = [
    "Agent",
    "ApiKey",
    "ConsentRecord",
    "Encryption",
    "Environment",
    "Handoff",
    "HandoffLog",
    "HandoffOutcome",
    "TransferOutcome",
    "Message",
    "MessageEvent",
    "MessageStatus",
    "MessagingChannel",
    "OptOut",
    "OptOutSource",
    "Provider",
    "RecipientMode",
    "SendTextAction",
    "SipMethod",
]
