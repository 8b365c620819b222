"""When each object's next reconcile pass runs: one task for the whole operator, no per-object timers.

An object gets a pass when something wakes it:
  * its spec changed, or it appeared (the watch: `wake`);
  * what it read from a shared snapshot changed: an *observer* re-lists each snapshot key that somebody
    reads, every poll interval while a reader is in motion and once per resync otherwise, and wakes
    exactly that key's readers when the listed value differs from the last one;
  * an object it depends on changed (the watch again: a VpcLink's link id wakes its integrations);
  * the time its last pass asked for: an exact `next_check` (a place held in a rate-limit line), a backing-off
    look while AWS is moving on its behalf, or one resync for a stalled object (which may be unblocked
    by something nobody watches, e.g. a security group fixed by hand).
A Ready, steady object asks for nothing: it costs nothing until something changes.

While kopf's peering pauses this replica in favour of another, nothing runs here either (`pause`).

Nothing here can die silently: a pass that raises is logged and retried with backoff, an observer whose
list fails tries again one poll later, and `trouble()` (read by /healthz) says when the loop stopped
turning.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
import logging
import time
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Protocol

logger = logging.getLogger(__name__)

# The loop turns at least this often, so its heartbeat proves it alive even when nothing is due.
MAX_SLEEP = 5.0
# Passes running at once. Not small: a pass may wait a while inside a shared call (a REST deployment
# gathers every change to a stage made within its window), and those waiting must not hold back the rest.
# AWS calls are bounded by the thread pool and the rate limiter, apiserver writes by its client.
MAX_PASSES = 256


@dataclass(frozen=True)
class Verdict:
    """What one pass tells the scheduler about the object's next look."""

    next_check: float | None = None  # exactly this many seconds from now (e.g. a place held in line)
    moving: bool = False  # AWS is changing on its behalf: poll what it reads, back off its own looks
    stalled: bool = False  # only a change can help, or something outside that nobody watches: one resync


# Runs one pass for an object (by UID). None: the object is gone or not ours to run now; forget it.
PassRunner = Callable[[str], Awaitable[Verdict | None]]


class Observed(Protocol):
    """A set of shared snapshots (inventory.Snapshots) as the observers see it."""

    def readers(self) -> dict[Hashable, set[str]]: ...
    def age(self, key: Hashable) -> float: ...
    async def relist(self, key: Hashable) -> bool: ...
    def drop_reader(self, uid: str) -> None: ...


@dataclass
class _Object:
    due: float | None = None  # when its next pass runs; None: only when something wakes it
    interval: float = 0.0  # its backing-off look while moving
    running: bool = False
    again: bool = False  # woken while its pass ran: run once more right after


class Scheduler:
    def __init__(self, observed: Sequence[Observed], *, poll: float, resync: float, concurrency: int = MAX_PASSES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.observed = observed
        self.poll, self.resync = poll, resync
        self.clock = clock
        self.heartbeat = clock()
        self._objects: dict[str, _Object] = {}
        self._moving: set[str] = set()  # objects AWS is changing for: what they read is polled
        self._heap: list[tuple[float, int, str]] = []
        self._order = itertools.count()
        self._slots = asyncio.Semaphore(concurrency)
        self._poke = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._listing: set[tuple[int, Hashable]] = set()
        self._list_failed: dict[tuple[int, Hashable], float] = {}
        self._loop: asyncio.Task[None] | None = None
        self._pauses = 0  # kopf's peering pauses in force (one per peering object that says so)

    # --- what the watch and the passes call -------------------------------------------------------

    def wake(self, uid: str, delay: float = 0.0, *, restart_backoff: bool = False) -> None:
        """Run a pass for `uid` within `delay` seconds (sooner if it was due sooner)."""
        obj = self._objects.setdefault(uid, _Object(interval=self.poll))
        if restart_backoff:
            obj.interval = self.poll
        if obj.running and delay <= 0:
            obj.again = True
            return
        self._schedule(uid, obj, self.clock() + delay)

    def forget(self, uid: str) -> None:
        """The object is gone (or its deletion is driven elsewhere): no more passes, and it reads nothing."""
        self._objects.pop(uid, None)
        self._moving.discard(uid)
        for observed in self.observed:
            observed.drop_reader(uid)

    def pause(self, paused: bool) -> None:
        """kopf paused (or resumed) its watches in favour of another replica: so do passes and observers."""
        self._pauses = max(0, self._pauses + (1 if paused else -1))
        self._poke.set()

    def trouble(self) -> str | None:
        """Why the scheduler is not working, for /healthz; None while it turns."""
        if self._loop is not None and self._loop.done():
            return "the scheduler loop has stopped"
        stale = self.clock() - self.heartbeat
        if stale > 6 * MAX_SLEEP:
            return f"the scheduler loop has not turned for {stale:.0f} s"
        return None

    # --- the loop -------------------------------------------------------------------------------

    async def run(self, run_pass: PassRunner) -> None:
        self._loop = asyncio.current_task()
        try:
            while True:
                self.heartbeat = now = self.clock()
                while not self._pauses and self._heap and self._heap[0][0] <= now:
                    due, _, uid = heapq.heappop(self._heap)
                    obj = self._objects.get(uid)
                    if obj is not None and obj.due == due:
                        obj.due = None
                        self._start(uid, obj, run_pass)
                wait = self._observe(now) if not self._pauses else MAX_SLEEP
                if self._heap and not self._pauses:
                    wait = min(wait, self._heap[0][0] - now)
                self._poke.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._poke.wait(), timeout=max(0.0, min(wait, MAX_SLEEP)))
        finally:
            for task in self._tasks:
                task.cancel()

    def _schedule(self, uid: str, obj: _Object, at: float) -> None:
        if obj.due is not None and obj.due <= at:
            return
        obj.due = at
        heapq.heappush(self._heap, (at, next(self._order), uid))
        self._poke.set()

    def _start(self, uid: str, obj: _Object, run_pass: PassRunner) -> None:
        if obj.running:
            obj.again = True
            return
        obj.running = True
        task = asyncio.create_task(self._pass(uid, obj, run_pass), name=f"pass {uid}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _pass(self, uid: str, obj: _Object, run_pass: PassRunner) -> None:
        verdict: Verdict | None
        async with self._slots:
            for observed in self.observed:  # what it reads is recorded afresh by this pass
                observed.drop_reader(uid)
            try:
                verdict = await run_pass(uid)
            except Exception:  # a bug or an outage: never lose the object, look again soon
                logger.exception("reconcile pass for %s failed; retrying", uid)
                verdict = Verdict(moving=True)
        obj.running = False
        if verdict is None:
            self.forget(uid)
            return
        if self._objects.get(uid) is not obj:  # forgotten while it ran
            return
        self._after(uid, obj, verdict)

    def _after(self, uid: str, obj: _Object, verdict: Verdict) -> None:
        now = self.clock()
        if verdict.moving or verdict.next_check is not None:
            self._moving.add(uid)
        else:
            self._moving.discard(uid)
        if obj.again:
            obj.again = False
            self._schedule(uid, obj, now)
        if verdict.next_check is not None:
            self._schedule(uid, obj, now + verdict.next_check)
        elif verdict.moving:
            self._schedule(uid, obj, now + obj.interval)
            obj.interval = min(obj.interval * 2, self.resync)
        else:
            obj.interval = self.poll
            if verdict.stalled:
                self._schedule(uid, obj, now + self.resync)

    # --- observers --------------------------------------------------------------------------------

    def _observe(self, now: float) -> float:
        """Start the re-lists that are due; return how long until the next one is."""
        wait = MAX_SLEEP
        for number, observed in enumerate(self.observed):
            for key, readers in observed.readers().items():
                slot = (number, key)
                if slot in self._listing:
                    continue
                interval = self.poll if not readers.isdisjoint(self._moving) else self.resync
                left = interval - observed.age(key)
                failed = self._list_failed.get(slot)
                if failed is not None:
                    left = max(left, failed + self.poll - now)
                if left > 0:
                    wait = min(wait, left)
                    continue
                self._listing.add(slot)
                task = asyncio.create_task(self._relist(slot, observed, key), name=f"observe {key}")
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return wait

    async def _relist(self, slot: tuple[int, Hashable], observed: Observed, key: Hashable) -> None:
        try:
            changed = await observed.relist(key)
        except Exception as exc:  # AWS unreachable or throttling us: the observer tries again one poll later
            logger.debug("observing %s failed: %s", key, exc)
            self._list_failed[slot] = self.clock()
            return
        finally:
            self._listing.discard(slot)
            self._poke.set()
        self._list_failed.pop(slot, None)
        if changed:
            for uid in sorted(observed.readers().get(key, set())):
                if uid in self._objects:
                    self.wake(uid)
