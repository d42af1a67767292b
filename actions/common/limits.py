"""Abuse limits: how many events of one kind one client may cause in a moving window.

Counted in Redis (settings.REDIS_URL), so every web process on every machine shares one
count. The window moves: `Rate(120, 60)` allows 120 events in any 60 seconds, with no burst
of twice that around a minute's turn. The mechanism is the `limits` package's moving window
(a Lua script per check, one list of at most `amount` timestamps per client); `take_all`
counts several at once, all or none, in one script and one round trip.

A limit that holds a count for something that may still not happen (a text, counted before
its message is written) gives it back with `give_back`. Refusals that leave nothing else
behind (a refused text writes no message) are counted by day with `note_refusal`, for the
pages to show.

When Redis cannot be reached, limits are skipped, never enforced against everyone: the
request is served and a warning logged, and this process then leaves Redis alone for
OUTAGE_BACKOFF seconds so that an outage costs no request a timeout.
"""

import functools
import ipaddress
import logging
import math
import time
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# Redis on another machine that stops answering must not hold a request for long.
SOCKET_TIMEOUT = 0.5
OUTAGE_BACKOFF = 5.0
# Refusals are shown for today; yesterday's are kept until tomorrow, whatever the time zone.
REFUSALS_KEPT = 2 * 24 * 3600


class Rate(NamedTuple):
    """`amount` events in any `seconds` seconds."""

    amount: int
    seconds: int = 60


def take(scope: str, client: str, rate: Rate) -> int:
    """Count one event of `client` in `scope`.

    0 when it is within `rate`; otherwise the event is not counted and the answer is the
    whole seconds until one more will be (at least 1).
    """
    return _ask(scope, client, rate, count=True)


def waiting(scope: str, client: str, rate: Rate) -> int:
    """Like `take`, but counts nothing: 0 when one more event is allowed, else seconds to wait."""
    return _ask(scope, client, rate, count=False)


def take_all(checks: list[tuple[str, str, Rate]]) -> int | None:
    """Count one event for each (scope, client, rate) of `checks`, at once and in one round
    trip to Redis.

    All or none: None when every check is within its rate and all are counted; otherwise the
    index of the first check past its rate, and nothing is counted — so a refusal never
    leaves a passing count behind for a moment. (Skipped, None, while Redis cannot be
    reached.)
    """
    if time.monotonic() < _down_until:
        return None
    storage = _storage()
    keys = [
        storage.prefixed_key(_item(scope, rate).key_for(client)) for scope, client, rate in checks
    ]
    args = [time.time()]
    for _, _, rate in checks:
        args += [rate.amount, rate.seconds]
    refused = _redis(lambda r: _acquire_all(storage)(keys, args, r))
    return refused - 1 if refused else None


# The `limits` package's moving window (its acquire_moving_window.lua, one entry at a time)
# for several lists at once: a list holds the newest `amount` timestamps of its client, and
# is full while its last one is within the window. Returns 0 when every list had room and
# got one more, else the (1-based) place of the first full one, counting nothing anywhere.
ACQUIRE_ALL = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
    local amount, seconds = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
    local last = redis.call('lindex', key, amount - 1)
    if last and tonumber(last) >= now - seconds then
        return i
    end
end
for i, key in ipairs(KEYS) do
    local amount, seconds = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])
    redis.call('lpush', key, ARGV[1])
    redis.call('ltrim', key, 0, amount - 1)
    redis.call('expire', key, seconds)
end
return 0
"""


@functools.cache
def _acquire_all(storage: RedisStorage):
    # redis-py's Script: EVALSHA, loading the script again if Redis lost it.
    return storage.get_connection().register_script(ACQUIRE_ALL)


def give_back(scope: str, client: str, rate: Rate) -> None:
    """Uncount one event that `take` counted, when it did not happen after all."""
    item = _item(scope, rate)
    storage = _storage()
    # The newest entry of the window: whoever's it is, all are "now", so the count is right.
    _redis(lambda r: r.lpop(storage.prefixed_key(item.key_for(client))))


def note_refusal(owner: str, scope: str) -> None:
    """Count one refusal of `owner` (e.g. an agent's pk) by the limit `scope`, for today."""
    key = _refusals_key()

    def incr(r):
        with r.pipeline() as pipe:
            pipe.hincrby(key, f"{owner}:{scope}", 1)
            pipe.expire(key, REFUSALS_KEPT)
            pipe.execute()

    _redis(incr)


def refusals_today() -> dict[tuple[str, str], int]:
    """Today's refusals (TIME_ZONE's day): {(owner, scope): count}; empty without Redis."""
    counts = _redis(lambda r: r.hgetall(_refusals_key())) or {}
    today = {}
    for field, count in counts.items():
        owner, _, scope = field.decode().partition(":")
        today[owner, scope] = int(count)
    return today


def client_address(request) -> str:
    """The address limits count by: REMOTE_ADDR, the peer of the connection.

    Headers such as X-Forwarded-For are not read, since any client can send them; behind a
    proxy the server must set REMOTE_ADDR to the client's (docs/operations.md). An IPv6
    client is counted by its /64 network, since one subscriber holds the whole of it.
    """
    address = request.META.get("REMOTE_ADDR", "")
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 4:
        return str(ip)
    if ip.ipv4_mapped:
        return str(ip.ipv4_mapped)
    return str(ipaddress.ip_network(f"{ip}/64", strict=False).network_address)


# Until when (time.monotonic()) this process leaves Redis alone. Threads share it without a
# lock: a race only makes one more request ask Redis or skip it.
_down_until = 0.0


def _ask(scope: str, client: str, rate: Rate, *, count: bool) -> int:
    if time.monotonic() < _down_until:
        return 0
    item = _item(scope, rate)
    limiter = _limiter(settings.REDIS_URL, settings.RATE_LIMIT_PREFIX)
    try:
        allowed = limiter.hit(item, client) if count else limiter.test(item, client)
        if allowed:
            return 0
        reset_at = limiter.get_window_stats(item, client).reset_time
    except StorageError as exc:
        _outage(exc.storage_error)
        return 0
    return max(1, math.ceil(reset_at - time.time()))


def _item(scope: str, rate: Rate) -> RateLimitItemPerSecond:
    return RateLimitItemPerSecond(rate.amount, rate.seconds, namespace=scope)


def _redis(command):
    """command(the Redis client), or None while Redis cannot be reached."""
    if time.monotonic() < _down_until:
        return None
    try:
        return command(_storage().get_connection())
    except RedisError as exc:
        _outage(exc)
        return None


def _outage(error: Exception) -> None:
    global _down_until
    _down_until = time.monotonic() + OUTAGE_BACKOFF
    # The class only: a message could quote the Redis URL and its password.
    logger.warning(
        "Rate limits skipped for %.0f s: Redis unavailable (%s)",
        OUTAGE_BACKOFF,
        type(error).__name__,
    )


def _refusals_key() -> str:
    return f"{settings.RATE_LIMIT_PREFIX}:refusals:{timezone.localdate().isoformat()}"


def _storage() -> RedisStorage:
    return _storage_for(settings.REDIS_URL, settings.RATE_LIMIT_PREFIX)


@functools.cache
def _limiter(redis_url: str, prefix: str) -> MovingWindowRateLimiter:
    return MovingWindowRateLimiter(_storage_for(redis_url, prefix))


@functools.cache
def _storage_for(redis_url: str, prefix: str) -> RedisStorage:
    # redis-py spells a Unix socket unix://, the limits package redis+unix://.
    uri = redis_url
    if uri.startswith("unix://"):
        uri = "redis+unix://" + uri.removeprefix("unix://")
    return RedisStorage(
        uri,
        key_prefix=prefix,
        wrap_exceptions=True,
        socket_timeout=SOCKET_TIMEOUT,
        socket_connect_timeout=SOCKET_TIMEOUT,
    )
