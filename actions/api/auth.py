"""API keys: `Authorization: Bearer <key>` (or Vapi's X-Vapi-Secret) -> the key and its agent;
and the limits on keys: requests per key, failed keys per client address."""

import functools
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.views.decorators.csrf import csrf_exempt

from actions.agents.limits import REQUEST_WINDOW, REQUESTS
from actions.api.errors import ApiError
from actions.common import limits
from actions.models import ApiKey
from actions.models.agent import hash_key

logger = logging.getLogger(__name__)

UNAUTHENTICATED = (
    "Missing or invalid API key: send the header 'Authorization: Bearer <key>' with a key "
    "created for this agent."
)


def key_from_request(request) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.headers.get("X-Vapi-Secret", "").strip()


CHALLENGE = {"WWW-Authenticate": 'Bearer realm="switchboard"'}


# The scope of the limit on failed keys, in its Redis keys (an agent's are in agents/limits.py).
FAILED_KEYS = "api-failed-keys"


def rate_limited(retry_after: int, message: str) -> ApiError:
    return ApiError(
        429,
        "rate_limited",
        f"{message} Try again in {retry_after} s.",
        say=f"Too many requests: wait {retry_after} seconds before trying again, and tell the "
        "caller there is a short delay.",
        headers={"Retry-After": str(retry_after)},
    )


def authenticate(request) -> ApiKey:
    """The request's active key, or 401; 429 while its address has failed too often."""
    address = limits.client_address(request)
    failures = limits.Rate(settings.API_FAILED_KEYS_PER_MINUTE)
    if wait := limits.waiting(FAILED_KEYS, address, failures):
        raise rate_limited(wait, "Too many requests with a wrong or missing API key.")
    try:
        key = find_key(request)
    except ApiError:
        limits.take(FAILED_KEYS, address, failures)
        raise
    key.touch()
    return key


def find_key(request) -> ApiKey:
    plaintext = key_from_request(request)
    if not plaintext:
        raise ApiError(401, "unauthenticated", UNAUTHENTICATED, headers=CHALLENGE)
    key = ApiKey.objects.select_related("agent").filter(key_hash=hash_key(plaintext)).first()
    if key is None:
        raise ApiError(401, "unauthenticated", UNAUTHENTICATED, headers=CHALLENGE)
    if not key.is_active:
        raise ApiError(401, "unauthenticated", "This API key has been revoked.", headers=CHALLENGE)
    return key


def limit_requests(key: ApiKey) -> None:
    """429 once the key has made its agent's number of requests in the last 60 seconds."""
    per_minute = key.agent.request_limit
    # The hash names the key in Redis: unique for good, unlike an id, and no secret.
    if wait := limits.take(REQUESTS, key.key_hash[:32], limits.Rate(per_minute, REQUEST_WINDOW)):
        limits.note_refusal(str(key.agent_id), REQUESTS)
        raise rate_limited(wait, f"This API key may make {per_minute} requests a minute.")


def api_view(*methods: str):
    """A JSON endpoint: key authentication, allowed methods, and errors in the API's shape."""

    def decorate(view):
        @csrf_exempt
        @login_not_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            try:
                if request.method not in methods:
                    raise ApiError(
                        405,
                        "method_not_allowed",
                        f"Use {' or '.join(methods)} for this endpoint.",
                        headers={"Allow": ", ".join(methods)},
                    )
                request.api_key = authenticate(request)
                limit_requests(request.api_key)
                request.agent = request.api_key.agent
                return view(request, *args, **kwargs)
            except ApiError as exc:
                return exc.response()
            except Exception:
                logger.exception("API error in %s", view.__name__)
                return ApiError(
                    500, "internal_error", "Something went wrong on our side; nothing was sent."
                ).response()

        return wrapper

    return decorate
