"""The shared link inventory: one list per (region, API type), shared by concurrent callers.

The adapter is a small in-test class (this tests caching, not AWS); the clock is a fake."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest
from fake_clock import FakeClock

from vpclink_operator.inventory import LinkInventory
from vpclink_operator.models.vpclink import ApiType, LinkShape, LinkState, ObservedLink


def observed(link_id: str, status: LinkState = "AVAILABLE") -> ObservedLink:
    return ObservedLink(id=link_id, name=link_id, status=status, status_message="",
                        shape=LinkShape(frozenset({"subnet-a"})))


class FakeLinks:
    """Just enough of the LinkAdapter protocol for the inventory: list and get, counted."""

    def __init__(self, api_type: ApiType, *links: ObservedLink) -> None:
        self.api_type = api_type
        self.links = {link.id: link for link in links}
        self.listed: list[str] = []
        self.got: list[tuple[str, str]] = []

    async def list_links(self, region: str) -> list[ObservedLink]:
        self.listed.append(region)
        for _ in range(3):  # a paginated list yields to the loop; concurrent callers pile up here
            await asyncio.sleep(0)
        return list(self.links.values())

    async def get_link(self, region: str, link_id: str) -> ObservedLink | None:
        self.got.append((region, link_id))
        await asyncio.sleep(0)
        return self.links.get(link_id)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def inventory(clock: FakeClock, http: FakeLinks, rest: FakeLinks | None = None) -> LinkInventory:
    return LinkInventory({"HTTP": http, "REST": rest or FakeLinks("REST")}, clock=clock)  # type: ignore[dict-item]


def test_concurrent_callers_share_one_list(clock: FakeClock) -> None:
    adapter = FakeLinks("HTTP", observed("a"), observed("b"))
    inv = inventory(clock, adapter)

    async def main() -> list[Mapping[str, ObservedLink]]:
        return list(await asyncio.gather(*(inv.links("us-east-1", "HTTP", max_age=60) for _ in range(20))))

    results = asyncio.run(main())

    assert adapter.listed == ["us-east-1"]
    assert all(set(r) == {"a", "b"} for r in results)


def test_relists_only_after_max_age(clock: FakeClock) -> None:
    adapter = FakeLinks("HTTP", observed("a"))
    inv = inventory(clock, adapter)

    async def main() -> None:
        await inv.links("us-east-1", "HTTP", max_age=60)
        clock.advance(59)
        await inv.links("us-east-1", "HTTP", max_age=60)
        assert len(adapter.listed) == 1
        adapter.links["b"] = observed("b")
        clock.advance(2)
        fresh = await inv.links("us-east-1", "HTTP", max_age=60)
        assert len(adapter.listed) == 2
        assert set(fresh) == {"a", "b"}
        # A caller that wants fresher data than the snapshot gets a new list.
        clock.advance(5)
        await inv.links("us-east-1", "HTTP", max_age=1)
        assert len(adapter.listed) == 3

    asyncio.run(main())


def test_each_region_and_api_type_has_its_own_list(clock: FakeClock) -> None:
    http, rest = FakeLinks("HTTP", observed("h1")), FakeLinks("REST", observed("r1"))
    inv = inventory(clock, http, rest)

    async def main() -> None:
        assert set(await inv.links("us-east-1", "HTTP", max_age=60)) == {"h1"}
        assert set(await inv.links("us-east-1", "REST", max_age=60)) == {"r1"}
        await inv.links("eu-west-1", "HTTP", max_age=60)
        await inv.links("us-east-1", "HTTP", max_age=60)

    asyncio.run(main())
    assert http.listed == ["us-east-1", "eu-west-1"]
    assert rest.listed == ["us-east-1"]


def test_remember_updates_the_snapshot_without_a_list(clock: FakeClock) -> None:
    adapter = FakeLinks("HTTP", observed("a"))
    inv = inventory(clock, adapter)

    async def main() -> None:
        await inv.links("us-east-1", "HTTP", max_age=60)
        inv.remember("us-east-1", "HTTP", "new1", observed("new1", "PENDING"))
        seen = await inv.links("us-east-1", "HTTP", max_age=60)
        assert seen["new1"].status == "PENDING"
        inv.remember("us-east-1", "HTTP", "a", None)
        assert set(await inv.links("us-east-1", "HTTP", max_age=60)) == {"new1"}
        inv.remember("us-east-1", "HTTP", "never-seen", None)  # forgetting an unknown link is fine

    asyncio.run(main())
    assert adapter.listed == ["us-east-1"]


def test_refresh_gets_one_link_and_updates_the_snapshot(clock: FakeClock) -> None:
    adapter = FakeLinks("HTTP", observed("a", "PENDING"))
    inv = inventory(clock, adapter)

    async def main() -> None:
        await inv.links("us-east-1", "HTTP", max_age=60)
        adapter.links["a"] = observed("a", "AVAILABLE")
        assert (await inv.refresh("us-east-1", "HTTP", "a")) == observed("a", "AVAILABLE")
        assert (await inv.links("us-east-1", "HTTP", max_age=60))["a"].status == "AVAILABLE"
        del adapter.links["a"]
        assert await inv.refresh("us-east-1", "HTTP", "a") is None
        assert "a" not in await inv.links("us-east-1", "HTTP", max_age=60)

    asyncio.run(main())
    assert adapter.listed == ["us-east-1"]
    assert adapter.got == [("us-east-1", "a"), ("us-east-1", "a")]


def test_callers_get_a_copy_of_the_snapshot(clock: FakeClock) -> None:
    inv = inventory(clock, FakeLinks("HTTP", observed("a")))

    async def main() -> None:
        first = dict(await inv.links("us-east-1", "HTTP", max_age=60))
        mine = await inv.links("us-east-1", "HTTP", max_age=60)
        mine.pop("a")  # type: ignore[attr-defined]
        assert await inv.links("us-east-1", "HTTP", max_age=60) == first

    asyncio.run(main())
