"""Client-side token buckets, one per AWS operation and one for all calls, per Region, and a line per
rate-limited operation.

Shared by every object the operator manages, so the operator stays under API Gateway's quotas instead of
collecting 429s. AWS applies them per account and Region; the operator runs with one set of credentials, so
the account is implicit and everything here is keyed by Region alone.

**A place in line, not a backoff.** Each (Region, operation) with its own quota (CreateVpcLink: 1 per 15 s)
keeps a first-come-first-served line of holders. A holder is the object whose pass is asking
(`context.current_object()`), or a one-off token for a call made outside any pass. A holder's turn comes
when the bucket holds a token for it and for everyone ahead of it; the wait until then is exact. A holder
that is told to come back keeps its place (its ticket): asking again before its turn returns the same place
and the remaining wait, never a second reservation; asking at or after its turn spends the token. A call
made outside any pass keeps today's behaviour: it holds a place only while it waits in-process
(`max_wait`); a longer wait reserves nothing.

**Tickets expire.** A holder that has not come back `TICKET_GRACE` seconds after its turn has gone away
(its object was deleted, its spec changed so the call is no longer needed, or its pass failed earlier):
its place is dropped so the line behind it moves up. While a holder is late the line waits for it, so the
grace is what a dead ticket can cost everyone behind: short, but long enough for a woken pass to reach its
call on a busy machine (milliseconds normally, a second or two while the apiserver or CPU is slow). It is
real time, not scaled with the quotas, because that latency does not speed up with a time-scaled emulator.

**Never out of phase with AWS.** AWS takes its token when the request arrives, which is some time after we
send it. If one call took longer to arrive than the next, AWS's bucket would have refilled for less time
than ours and answer 429 although ours said go. So an operation's token counts as taken when AWS has
*answered* (`answered`), which is never before it arrived: the safety margin is each call's own round trip,
sized by the call itself rather than guessed (a few milliseconds on loopback, a fraction of a second to AWS,
against 5 to 30 s between tokens, so a round trip never outlasts the interval it is counted against).

The global "*" bucket (10 per second, burst 40) is not lined up: it is reserved when a call goes and waited
for in-process, as its waits are short.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Quota:
    per_second: float
    burst: int


# API Gateway's documented quotas per account and Region (the emulator enforces the same table).
DEFAULT_QUOTAS: Mapping[str, Quota] = {
    "apigatewayv2:CreateVpcLink": Quota(1 / 15, 1),
    "apigatewayv2:DeleteVpcLink": Quota(1 / 30, 1),
    "apigateway:CreateDeployment": Quota(1 / 5, 1),
    "apigateway:GetResources": Quota(5 / 2, 5),
    "*": Quota(10, 40),
}

# How long after its turn a holder's place is kept for it (real seconds; see the module docstring).
TICKET_GRACE = 5.0


class TokenBucket:
    def __init__(self, quota: Quota, clock: Callable[[], float] = time.monotonic) -> None:
        self.quota = quota
        self.clock = clock
        self.tokens = float(quota.burst)
        self.updated = clock()

    def _refill(self) -> None:
        now = self.clock()
        self.tokens = min(float(self.quota.burst), self.tokens + (now - self.updated) * self.quota.per_second)
        self.updated = now

    def wait_time(self, ahead: int = 0) -> float:
        """Seconds until a token is free for a caller with `ahead` callers before it (0 if one is free now)."""
        self._refill()
        needed = ahead + 1
        # A caller that comes back after exactly the wait it was told finds its token, whatever float rounding says.
        return 0.0 if self.tokens >= needed - 1e-9 else (needed - self.tokens) / self.quota.per_second

    def take(self, tokens: float = 1.0) -> None:
        """Reserve the next token; the balance may go negative, which queues later callers behind."""
        self._refill()
        self.tokens -= tokens


@dataclass
class Place:
    holder: Hashable
    due: float  # when the holder was told its turn comes (moves later if someone ahead is late)


@dataclass(frozen=True)
class Turn:
    """`granted`: the tokens are spent; make the call after `wait` seconds (an in-process wait, usually 0).
    Otherwise come back in `wait` seconds; the place is held if the holder keeps it (see `RateLimiter.turn`)."""

    wait: float
    granted: bool


class Line:
    """One (Region, operation): its token bucket and the holders waiting for it, first come first served."""

    def __init__(self, quota: Quota, clock: Callable[[], float]) -> None:
        self.bucket = TokenBucket(quota, clock)
        self.clock = clock
        self.places: list[Place] = []

    def wait(self, holder: Hashable) -> float:
        """The holder's wait for its turn: behind everyone in line if it holds no place yet."""
        ahead = next((i for i, place in enumerate(self.places) if place.holder == holder), len(self.places))
        return self.bucket.wait_time(ahead)

    def hold(self, holder: Hashable, due: float) -> None:
        place = next((p for p in self.places if p.holder == holder), None)
        if place is None:
            self.places.append(Place(holder, due))
        else:
            place.due = due

    def go(self, holder: Hashable) -> None:
        self.places = [p for p in self.places if p.holder != holder]
        self.bucket.take()

    def answered(self, round_trip: float) -> None:
        """Count the token as taken when AWS answered, not when the call went (never more than the token)."""
        self.bucket.take(min(1.0, max(0.0, round_trip) * self.bucket.quota.per_second))

    def expire(self, now: float, grace: float) -> None:
        self.places = [p for p in self.places if now <= p.due + grace]


class RateLimiter:
    def __init__(self, quotas: Mapping[str, Quota] = DEFAULT_QUOTAS, scale: float = 1.0,
                 clock: Callable[[], float] = time.monotonic, grace: float = TICKET_GRACE) -> None:
        self.quotas = {key: Quota(q.per_second * scale, q.burst) for key, q in quotas.items()}
        self.scale = scale
        self.clock = clock
        self.grace = grace
        self.buckets: dict[tuple[str, str], TokenBucket] = {}  # (region, "*")
        self.lines: dict[tuple[str, str], Line] = {}  # (region, "service:Operation")

    def _global(self, region: str) -> TokenBucket | None:
        quota = self.quotas.get("*")
        if quota is None:
            return None
        bucket = self.buckets.get((region, "*"))
        if bucket is None:
            bucket = self.buckets[(region, "*")] = TokenBucket(quota, self.clock)
        return bucket

    def _line(self, region: str, service: str, operation: str) -> Line | None:
        key = f"{service}:{operation}"
        quota = self.quotas.get(key)
        if quota is None:
            return None
        line = self.lines.get((region, key))
        if line is None:
            line = self.lines[(region, key)] = Line(quota, self.clock)
        return line

    def turn(self, region: str, service: str, operation: str, holder: Hashable, max_wait: float = math.inf) -> Turn:
        """The holder's turn for one call of `operation`.

        A holder that must wait keeps (or takes) its place in line when it already holds one or the wait is
        within `max_wait`; otherwise nothing is reserved. An object's pass passes `max_wait=inf`: its place
        is its ticket. A one-off caller passes its in-process bound.
        """
        now = self.clock()
        line = self._line(region, service, operation)
        if line is not None:
            line.expire(now, self.grace)
            wait = line.wait(holder)
            if wait > 0:
                if wait <= max_wait or any(p.holder == holder for p in line.places):
                    line.hold(holder, now + wait)
                return Turn(wait, granted=False)
        bucket = self._global(region)
        shared_wait = bucket.wait_time() if bucket else 0.0
        if shared_wait > max_wait and not (line and any(p.holder == holder for p in line.places)):
            return Turn(shared_wait, granted=False)
        if bucket:
            bucket.take()
        if line is not None:
            line.go(holder)
        return Turn(shared_wait, granted=True)

    def answered(self, region: str, service: str, operation: str, round_trip: float) -> None:
        """A granted call was answered `round_trip` seconds after it went (success or failure alike)."""
        line = self.lines.get((region, f"{service}:{operation}"))
        if line is not None:
            line.answered(round_trip)
