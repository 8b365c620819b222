"""Deployment coalescing and the "is referenced in" message (issue 9)."""

from __future__ import annotations

import asyncio

from vpclink_operator.coalesce import Coalescer
from vpclink_operator.reconcile.vpclink import describe_references


def test_requests_made_while_a_call_runs_share_the_next_call_and_earlier_ones_are_not_replayed() -> None:
    calls: list[int] = []
    release = asyncio.Event()

    async def deploy() -> str:
        number = len(calls) + 1
        calls.append(number)
        if number == 1:
            await release.wait()
        return f"dep-{number}"

    async def scenario() -> list[str]:
        coalescer: Coalescer[str, str] = Coalescer()
        first = asyncio.create_task(coalescer.run("api/test", deploy))
        await asyncio.sleep(0)  # the first call is running and waits
        later = [asyncio.create_task(coalescer.run("api/test", deploy)) for _ in range(3)]
        other = asyncio.create_task(coalescer.run("api/prod", deploy))
        await asyncio.sleep(0)
        release.set()
        return [await first, *[await task for task in later], await other]

    results = asyncio.run(scenario())

    # The first request's call started before the others asked, so it cannot cover them: one more call
    # serves all three; another stage is never coalesced with it.
    assert results[0] == "dep-1"
    assert len(set(results[1:4])) == 1 and results[1] != "dep-1"
    assert len(calls) == 3


def test_references_name_api_resource_method_and_stage() -> None:
    message = ("Cannot delete vpc link. Vpc link 'gim7c3', is referenced in [6j4m3244we:GET:/:test, "
               "6j4m3244we:GET:/orders:prod] in format of [RESTApiId:Method:Resource:Stage].")

    assert describe_references(message) == (
        "link gim7c3 is still referenced outside the operator by REST API 6j4m3244we resource / method GET "
        "deployed in stage test; REST API 6j4m3244we resource /orders method GET deployed in stage prod")


def test_http_references_name_the_route_or_integration() -> None:
    message = ("Cannot delete vpc link. Vpc link 'abc123', is referenced in [ANY:/api/{proxy+}, "
               "ANY:integrations/i1] in format of [Method:Resource].")

    assert describe_references(message) == (
        "link abc123 is still referenced outside the operator by an HTTP API integration used by ANY /api/{proxy+}; "
        "an HTTP API integration used by ANY integrations/i1")


def test_an_unknown_reference_text_is_kept_verbatim() -> None:
    assert describe_references("Vpc link is in use") == "AWS refuses to delete the link: Vpc link is in use"
