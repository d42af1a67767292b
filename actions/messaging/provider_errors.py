"""What an error code on a message means, in plain words, and what to do about it.

The codes are Twilio's (https://www.twilio.com/docs/api/errors), as the worker stores them
from Twilio's answer or its status callback, plus the few Switchboard writes itself when a
send could not reach the provider at all.
"""

from dataclasses import dataclass

TWILIO_ERROR_URL = "https://www.twilio.com/docs/api/errors/{code}"


@dataclass(frozen=True)
class Explanation:
    code: str
    title: str
    meaning: str
    action: str
    url: str  # the provider's page on the code; "" for Switchboard's own codes
    known: bool


# code -> (short title, what it means, what to do)
TWILIO = {
    "20003": (
        "Authentication failed",
        "Twilio did not accept the channel's Account SID and auth token.",
        "Check the channel's Account SID and auth token (or TWILIO_ACCOUNT_SID and "
        "TWILIO_AUTH_TOKEN) against the Twilio Console; a token that was rotated must be saved "
        "again.",
    ),
    "20429": (
        "Too many requests",
        "Twilio refused the request because the account was sending faster than its rate "
        "limit allows. Switchboard retried with backoff and gave up after the last attempt.",
        "Resend the message once traffic is lower. If it keeps happening, spread the sends out "
        "or ask Twilio for a higher limit.",
    ),
    "20500": (
        "Twilio internal error",
        "Twilio had an internal error while handling the request. Switchboard retried and gave "
        "up after the last attempt.",
        "Resend the message later, and check status.twilio.com if it keeps failing.",
    ),
    "20503": (
        "Twilio unavailable",
        "Twilio's API was temporarily unavailable. Switchboard retried and gave up after the "
        "last attempt.",
        "Resend the message later, and check status.twilio.com if it keeps failing.",
    ),
    "21211": (
        "Invalid 'To' phone number",
        "Twilio did not recognise the recipient as a valid phone number: it is incorrectly "
        "formatted, has the wrong number of digits, or cannot exist.",
        "Check the number, in E.164 form with its country code (e.g. +447700900123). If it "
        "came from the caller or a parameter, ask for it again.",
    ),
    "21408": (
        "Country not enabled for SMS",
        "The Twilio account is not permitted to send SMS to the recipient's country: that "
        "country is switched off in the account's Messaging Geographic Permissions.",
        "Enable the country under Messaging > Settings > Geo permissions in the Twilio Console "
        "(if you mean to text it), then resend.",
    ),
    "21606": (
        "Sender cannot send SMS",
        "The 'From' number is not an SMS-capable number of this Twilio account for this "
        "destination (not bought from or ported to the account, not SMS-capable, or a short "
        "code in another country).",
        "Set the channel's sender to an SMS-capable number (or Messaging Service) of the "
        "account that sends, then resend.",
    ),
    "21608": (
        "Recipient not verified (trial account)",
        "A Twilio trial account can only text numbers verified on the account.",
        "Verify the number in the Twilio Console, or upgrade the account.",
    ),
    "21610": (
        "Recipient unsubscribed",
        "The recipient replied STOP (or another opt-out keyword) to this sender, so Twilio "
        "blocks every message from it to them. Switchboard now records the number as opted "
        "out.",
        "Do not resend. The recipient can opt back in by replying START to the sender.",
    ),
    "21612": (
        "Recipient not reachable from this sender",
        "Twilio cannot route an SMS from this 'From' number to the recipient: the number type "
        "or country of the sender cannot reach that destination (for example a landline, a "
        "short code, or a country the sender does not serve).",
        "Send from a sender that can reach the recipient's country and network (often a local "
        "number, or a Messaging Service with one), or check that the recipient can receive "
        "SMS.",
    ),
    "21614": (
        "Not a mobile number",
        "The recipient is not a valid mobile number: most likely a landline, or a number that "
        "is invalid or written wrongly.",
        "Ask for a mobile number. Twilio's Lookup API can tell a landline from a mobile before "
        "sending.",
    ),
    "30003": (
        "Unreachable handset",
        "The carrier could not reach the recipient's phone: it is switched off, has no signal, "
        "is roaming out of reach, or cannot receive SMS.",
        "This is often temporary: resend later. If it keeps failing, confirm the number with "
        "the recipient.",
    ),
    "30004": (
        "Message blocked",
        "The message was blocked before reaching the recipient: the recipient blocked the "
        "sender, or their carrier blocked the message (for example their plan does not accept "
        "such messages).",
        "Do not resend the same message. Ask the recipient to unblock the sender or check "
        "with their carrier, or reach them another way.",
    ),
    "30005": (
        "Unknown handset",
        "The recipient's carrier does not know the number: it does not exist or is no longer "
        "in service.",
        "Check the number with the recipient; remove it if it is no longer theirs.",
    ),
    "30006": (
        "Landline or unreachable carrier",
        "The number cannot receive this message: it is a landline, or (for a short code "
        "sender) the recipient's carrier cannot be reached.",
        "Do not resend to this number. Ask for a mobile number, or call instead.",
    ),
    "30007": (
        "Message filtered",
        "Twilio or the recipient's carrier filtered the message as spam or as breaking "
        "messaging rules, for example because of its wording, its links or an unregistered "
        "sender (A2P 10DLC in the US).",
        "Review the wording and links of the action's message and the sender's registration. "
        "If the messages comply, send Twilio support a few message SIDs that failed with 30007.",
    ),
    "30008": (
        "Unknown error",
        "The carrier reported the message undelivered without saying why.",
        "Resend the message. If it keeps failing, contact Twilio support with the message SID.",
    ),
}

_RETRIED = "Switchboard retried with backoff and gave up after the last attempt."
SWITCHBOARD = {
    "network_dns": (
        "Twilio's address did not resolve",
        f"The worker could not look up Twilio's address (DNS), so the message never left. "
        f"{_RETRIED}",
        "Check the worker's network and DNS, and TWILIO_API_BASE_URL if it is set; then resend.",
    ),
    "network_refused": (
        "Connection refused",
        f"The address the worker sends to refused the connection, so the message never left. "
        f"{_RETRIED}",
        "Check TWILIO_API_BASE_URL (a proxy or an emulator that is not running?) and the "
        "worker's network; then resend.",
    ),
    "network_timeout": (
        "No connection in time",
        f"The worker could not connect to Twilio in time, so the message never left. {_RETRIED}",
        "Check the worker's network (a firewall that drops outbound HTTPS?); then resend.",
    ),
    "network_tls": (
        "Secure connection failed",
        f"The HTTPS connection to Twilio could not be set up (a certificate or a proxy in the "
        f"way), so the message never left. {_RETRIED}",
        "Check the worker's proxy settings and its certificate store; then resend.",
    ),
    "network_reset": (
        "Connection broken",
        "The connection to Twilio broke before its answer came, and Twilio had no record of "
        "the message when asked. Switchboard retried and gave up after the last attempt.",
        "Check the worker's network; then resend.",
    ),
    "no_answer": (
        "No answer from Twilio",
        "Twilio did not answer within the worker's timeout (TWILIO_TIMEOUT_SECONDS), and did "
        "not have the message when asked. Switchboard retried and gave up after the last "
        "attempt.",
        "Check status.twilio.com and the worker's network; then resend.",
    ),
    "network": (
        "Network failure",
        f"The request to Twilio failed on the network, so the message never left. {_RETRIED}",
        "Check the worker's network; then resend.",
    ),
    "auth": (
        "No Twilio credentials",
        "The channel has no Twilio Account SID or auth token, and none is set in the "
        "environment, so the message could not be sent.",
        "Set the channel's credentials (or TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN), then resend.",
    ),
    "interrupted": (
        "Interrupted while sending",
        "The worker stopped during the call to the provider, so whether the provider accepted "
        "the message is unknown. It was not retried, so that it cannot arrive twice.",
        "Look the message up in the provider's log before resending it.",
    ),
}


def explain(code: str) -> Explanation | None:
    """The explanation of an error code; one that says it is unknown for codes not listed."""
    code = (code or "").strip()
    if not code:
        return None
    if code in SWITCHBOARD:
        return Explanation(code, *SWITCHBOARD[code], url="", known=True)
    url = TWILIO_ERROR_URL.format(code=code) if code.isdigit() else ""
    if code in TWILIO:
        return Explanation(code, *TWILIO[code], url=url, known=True)
    return Explanation(
        code,
        title="Unknown error code",
        meaning=f"Switchboard has no explanation of error {code}.",
        action="Read the provider's description of this code." if url else "",
        url=url,
        known=False,
    )
