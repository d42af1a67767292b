"""Sender throughput: each sender's turns, shared by every worker on every machine.

Carriers cap how fast one sender may send (channels/senders.py). Two counts in Redis per
sender, kept by Lua scripts so that each step is atomic, and timed by Redis's own clock so
that workers on machines whose clocks differ still agree:

- **turns** (`reserve`): the next free moment of the sender (a GCRA "theoretical arrival
  time"). Each message reserves one, a turn apart, in the order they ask: the message waits
  for its turn as a task due then (`countdown`), holding no worker while it waits, and is
  sent in turn order (messaging/status.py `claim` takes the sender's earliest due message).
- **the gate** (`gate`, `done`): just before sending, the sender's actual sends, a moving
  window of at most `amount` in `amount / rate` seconds. Each send counts from the latest
  moment it can have reached the provider — while in flight, the provider's timeout from
  now; once answered, the moment of the answer — so the provider's own clock, whatever the
  network's delays, never sees more than the rate in a window. A task that ran late, or a
  slow first connection, makes the next send wait the difference, not follow too closely.
  And two starts are at least half a turn apart (`SPACING`): a task that ran late and the
  next one, on time, do not leave together, where the network could swap them — while a
  sender that fell behind still catches up.

Turns are a little further apart than the rate (`TURN_MARGIN`) so that the gate, which
counts a send from its answer, rarely has to move one: the sender sends at about 97% of its
rate, and never above it.

A provider's "too fast" (HTTP 429, Twilio 20429; carrier filtering 30022) slows the sender
(`slow_down`): its turns come twice as far apart for SLOW_SECONDS, four times after a
second one, up to MAX_SLOWDOWN.

When Redis cannot be reached every function answers None: nothing is sent without a turn.
"""

import functools
import hashlib
import logging
import math

import redis
from django.conf import settings
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

TURN_MARGIN = 1.03
SPACING = 0.5
SLOW_SECONDS = 60
MAX_SLOWDOWN = 8
SOCKET_TIMEOUT = 0.5

_NOW = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local slowdown = tonumber(redis.call('GET', KEYS[2]) or '1')
"""

# KEYS: the turn, the slowdown. ARGV: seconds between turns. Returns the seconds until the
# reserved turn (0: now).
RESERVE = (
    _NOW
    + """
local interval = tonumber(ARGV[1]) * slowdown
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local turn = math.max(free, now)
local ttl = math.ceil((turn + interval - now) * 1000) + 60000
redis.call('SET', KEYS[1], string.format('%.6f', turn + interval), 'PX', ttl)
return string.format('%.6f', turn - now)
"""
)

# KEYS: the sends, the slowdown, the last start. ARGV: amount, window seconds, the longest a
# send takes, this send's token, seconds to look again while a send is in flight, the least
# time between two starts. The sends are a sorted set:
# token -> the latest moment it may reach the provider (in flight: now + the longest a send
# takes; done: when its answer came). Returns 0 when this send may go now (and records it in
# flight), else the seconds until it may.
GATE = (
    _NOW
    + """
local spacing = tonumber(ARGV[6]) * slowdown
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
local wait = last + spacing - now
local amount = tonumber(ARGV[1])
local window = tonumber(ARGV[2]) * slowdown
local nth = redis.call('ZREVRANGE', KEYS[1], amount - 1, amount - 1, 'WITHSCORES')
if nth[2] then
    local at = tonumber(nth[2])
    if at > now then
        wait = math.max(wait, tonumber(ARGV[5]))
    else
        wait = math.max(wait, at + window - now)
    end
end
if wait > 0 then
    return string.format('%.6f', wait)
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(amount + 1))
redis.call('PEXPIRE', KEYS[1], math.ceil((window + tonumber(ARGV[3])) * 1000) + 1000)
redis.call('SET', KEYS[3], string.format('%.6f', now), 'PX', math.ceil(spacing * 1000) + 1000)
return '0'
"""
)

# KEYS: the sends. ARGV: the send's token. Its answer came: it reached the provider by now.
DONE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
redis.call('ZADD', KEYS[1], 'XX', 'LT', now, ARGV[1])
return 1
"""

# KEYS: the turn, the slowdown. ARGV: seconds between turns, the most slowdown, its seconds.
# Doubles the slowdown and pushes the next turn one slowed interval away: the sender pauses.
SLOW = (
    _NOW
    + """
slowdown = math.min(slowdown * 2, tonumber(ARGV[2]))
redis.call('SET', KEYS[2], tostring(slowdown), 'EX', tonumber(ARGV[3]))
local free = tonumber(redis.call('GET', KEYS[1]) or '0')
local next_turn = math.max(free, now) + tonumber(ARGV[1]) * slowdown
redis.call('SET', KEYS[1], string.format('%.6f', next_turn), 'PX',
    math.ceil((next_turn - now) * 1000) + 60000)
return tostring(slowdown)
"""
)


def reserve(sender: str, rate: float) -> float | None:
    """Reserve the sender's next turn: the seconds until it (0: now); None without Redis."""
    answer = _run(RESERVE, _keys(sender, "turn"), [TURN_MARGIN / rate])
    return None if answer is None else float(answer)


def gate(sender: str, rate: float, token: str) -> float | None:
    """Count the send `token` now if the sender's window has room (0), else the seconds until
    it has; None without Redis. Call `done` with the token once the provider has answered."""
    amount = max(1, math.floor(rate))
    poll = max(0.005, min(0.05, 0.25 / rate))
    sent, slow = _keys(sender, "sent")
    started = _keys(sender, "started")[0]
    longest = settings.TWILIO_TIMEOUT_SECONDS + 1
    answer = _run(
        GATE,
        [sent, slow, started],
        [amount, amount / rate, longest, token, poll, SPACING / rate],
    )
    return None if answer is None else float(answer)


def done(sender: str, token: str) -> None:
    """The send `token` has had its answer (or failed): it reached the provider by now."""
    _run(DONE, _keys(sender, "sent")[:1], [token])


def slow_down(sender: str, rate: float) -> float | None:
    """The provider said "too fast": slow the sender down; its new slowdown (2, 4 … 8)."""
    answer = _run(SLOW, _keys(sender, "turn"), [TURN_MARGIN / rate, MAX_SLOWDOWN, SLOW_SECONDS])
    if answer is not None:
        logger.warning("A sender was told it sends too fast: slowed %s times", answer)
    return None if answer is None else float(answer)


def slowdown(sender: str) -> float:
    """How many times slower than its rate the sender now sends (1: not slowed)."""
    try:
        value = _connect(settings.REDIS_URL).get(_keys(sender, "turn")[1])
    except RedisError:
        return 1.0
    return float(value) if value else 1.0


def _keys(sender: str, count: str) -> list[str]:
    # Hashed: a key names no number, in a Redis dump or a slow log.
    tag = hashlib.sha256(sender.encode()).hexdigest()[:16]
    prefix = f"{settings.RATE_LIMIT_PREFIX}:sender:{{{tag}}}"
    return [f"{prefix}:{count}", f"{prefix}:slow"]


def _run(script: str, keys: list[str], args: list) -> str | None:
    try:
        answer = _script(settings.REDIS_URL, script)(keys=keys, args=args)
    except RedisError as exc:
        # The class only: a message could quote the Redis URL and its password.
        logger.warning("Sender turns unavailable: Redis unavailable (%s)", type(exc).__name__)
        return None
    return answer.decode() if isinstance(answer, bytes) else str(answer)


@functools.cache
def _script(redis_url: str, script: str):
    # redis-py's Script: EVALSHA, loading the script again if Redis lost it.
    return _connect(redis_url).register_script(script)


@functools.cache
def _connect(redis_url: str) -> redis.Redis:
    return redis.Redis.from_url(
        redis_url, socket_timeout=SOCKET_TIMEOUT, socket_connect_timeout=SOCKET_TIMEOUT
    )
