"""API keys: `Authorization: Bearer <key>` (or Vapi's X-Vapi-Secret) -> the key and its agent."""

import functools
import logging

from django.contrib.auth.decorators import login_not_required
from django.views.decorators.csrf import csrf_exempt

from actions.api.errors import ApiError
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


def authenticate(request) -> ApiKey:
    plaintext = key_from_request(request)
    if not plaintext:
        raise ApiError(401, "unauthenticated", UNAUTHENTICATED, headers=CHALLENGE)
    key = ApiKey.objects.select_related("agent").filter(key_hash=hash_key(plaintext)).first()
    if key is None:
        raise ApiError(401, "unauthenticated", UNAUTHENTICATED, headers=CHALLENGE)
    if not key.is_active:
        raise ApiError(401, "unauthenticated", "This API key has been revoked.", headers=CHALLENGE)
    key.touch()
    return key


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
