"""The scheduler (scheduler.py) with fake passes and fake snapshots: who runs, when, and what never dies."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from vpclink_operator.scheduler import Scheduler, Verdict

POLL, RESYNC = 0.02, 10.0


@dataclass
class FakeSnapshots:
    """One snapshot key read by `readers`; each relist answers the next of `changes` (then: unchanged)."""

    key: Hashable = ("us-east-1", "HTTP")
    read_by: set[str] = field(default_factory=set)
    changes: list[bool | Exception] = field(default_factory=list)
    relists: int = 0
    listed_age: float = 0.0

    def readers(self) -> dict[Hashable, set[str]]:
        return {self.key: self.read_by} if self.read_by else {}

    def age(self, key: Hashable) -> float:
        self.listed_age += POLL  # time passes between looks
        return self.listed_age

    async def relist(self, key: Hashable) -> bool:
        self.relists += 1
        self.listed_age = 0.0
        answer = self.changes.pop(0) if self.changes else False
        if isinstance(answer, Exception):
            raise answer
        return answer

    def drop_reader(self, uid: str) -> None:
        pass  # the readers stay fixed in these tests


class Passes:
    """Records each pass; answers with the verdicts given per object (then: steady)."""

    def __init__(self, **verdicts: list[Verdict | Exception | None]) -> None:
        self.verdicts = verdicts
        self.ran: list[str] = []

    async def __call__(self, uid: str) -> Verdict | None:
        self.ran.append(uid)
        await asyncio.sleep(0)
        answers = self.verdicts.get(uid, [])
        answer = answers.pop(0) if answers else Verdict()
        if isinstance(answer, Exception):
            raise answer
        return answer


def run(scheduler: Scheduler, passes: Passes, seconds: float,
        during: Callable[[], Awaitable[None]] | None = None) -> None:
    async def main() -> None:
        loop = asyncio.create_task(scheduler.run(passes))
        if during is not None:
            await during()
        await asyncio.sleep(seconds)
        assert scheduler.trouble() is None
        loop.cancel()
    asyncio.run(main())


def scheduler(*observed: FakeSnapshots) -> Scheduler:
    return Scheduler(list(observed), poll=POLL, resync=RESYNC)


def test_a_woken_object_runs_once_and_a_steady_one_is_not_run_again() -> None:
    s, passes = scheduler(), Passes()
    s.wake("a")
    s.wake("a")  # twice before it ran: still one pass
    run(s, passes, 0.3)
    assert passes.ran == ["a"]


def test_a_moving_object_looks_again_and_backs_off() -> None:
    s, passes = scheduler(), Passes(a=[Verdict(moving=True)] * 50)
    s.wake("a")
    run(s, passes, 0.5)
    # 0.02, 0.04, 0.08, 0.16 ... : a handful of looks in half a second, not one per poll interval
    assert 3 <= passes.ran.count("a") <= 6


def test_a_place_in_line_is_kept_exactly_and_then_the_object_rests() -> None:
    s, passes = scheduler(), Passes(a=[Verdict(next_check=0.1)])
    s.wake("a")
    run(s, passes, 0.4)
    assert passes.ran == ["a", "a"]


def test_a_stalled_object_waits_a_resync() -> None:
    s, passes = scheduler(), Passes(a=[Verdict(stalled=True)])
    s.wake("a")
    run(s, passes, 0.3)
    assert passes.ran == ["a"]


def test_a_pass_that_raises_is_retried_and_the_loop_stays_healthy() -> None:
    s, passes = scheduler(), Passes(a=[RuntimeError("apiserver gone"), RuntimeError("still gone"), Verdict()])
    s.wake("a")
    run(s, passes, 0.4)
    assert passes.ran == ["a", "a", "a"]


def test_an_object_the_pass_finds_gone_is_forgotten() -> None:
    links = FakeSnapshots(read_by={"a"}, changes=[True])
    s, passes = scheduler(links), Passes(a=[None, Verdict(moving=True)])
    s.wake("a")
    run(s, passes, 0.3)
    assert passes.ran == ["a"]  # nothing brings it back: no look of its own, and no observer wakes it


def test_woken_while_running_runs_once_more_after() -> None:
    s = scheduler()

    class Slow(Passes):
        async def __call__(self, uid: str) -> Verdict | None:
            self.ran.append(uid)
            if len(self.ran) == 1:
                s.wake(uid)  # e.g. its spec changed while the pass ran
            await asyncio.sleep(0.05)
            return Verdict()

    passes = Slow()
    s.wake("a")
    run(s, passes, 0.3)
    assert passes.ran == ["a", "a"]


def test_a_forgotten_object_is_not_run() -> None:
    s, passes = scheduler(), Passes()
    s.wake("a", delay=0.1)
    s.forget("a")
    run(s, passes, 0.3)
    assert passes.ran == []


def test_observers_wake_exactly_the_readers_of_a_snapshot_that_changed() -> None:
    links = FakeSnapshots(read_by={"a", "b"}, changes=[True])
    other = FakeSnapshots(key="api-1", read_by={"c"})
    s, passes = scheduler(links, other), Passes(a=[Verdict(moving=True), Verdict()], b=[Verdict(moving=True)],
                                                c=[Verdict()])
    for uid in "abc":
        s.wake(uid)
    run(s, passes, 0.3)
    assert links.relists >= 1  # a reader in motion: its snapshot is polled
    assert other.relists == 0  # nobody moving reads it: listed again only at resync
    assert sorted(passes.ran[3:5]) == ["a", "b"]  # the change woke both readers, and nobody else
    assert "c" not in passes.ran[3:]


def test_steady_readers_cost_nothing_between_resyncs() -> None:
    links = FakeSnapshots(read_by={"a", "b"})
    s, passes = scheduler(links), Passes()
    s.wake("a")
    s.wake("b")
    run(s, passes, 0.3)
    assert links.relists == 0 and sorted(passes.ran) == ["a", "b"]


def test_an_observer_whose_list_fails_tries_again_and_never_dies() -> None:
    links = FakeSnapshots(read_by={"a"}, changes=[ConnectionError("AWS unreachable"), True])
    s, passes = scheduler(links), Passes(a=[Verdict(moving=True), Verdict(moving=True)])
    s.wake("a")
    run(s, passes, 0.3)
    assert links.relists >= 2 and passes.ran.count("a") >= 2


def test_trouble_names_a_loop_that_stopped() -> None:
    s = scheduler()

    async def main() -> None:
        loop = asyncio.create_task(s.run(Passes()))
        await asyncio.sleep(0.01)
        loop.cancel()
        await asyncio.sleep(0.01)
    asyncio.run(main())
    assert s.trouble() == "the scheduler loop has stopped"


def test_nothing_runs_while_peering_pauses_this_replica_and_all_resumes_after() -> None:
    links = FakeSnapshots(read_by={"a"}, changes=[True])
    s, passes = scheduler(links), Passes(a=[Verdict(moving=True), Verdict()])
    s.pause(True)
    s.wake("a")

    async def resume_later() -> None:
        await asyncio.sleep(0.2)
        assert passes.ran == [] and links.relists == 0  # paused: no pass, no observer
        s.pause(False)
    run(s, passes, 0.3, during=resume_later)
    assert passes.ran[0] == "a"
