"""What changed in one pass, read from an object's status before and after it: the Events to post and
the state its transition log line names. Pure: status mappings (as written to Kubernetes) in, values out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from vpclink_operator.models.conditions import Event, Health


def integration_events(before: Mapping[str, Any], after: Mapping[str, Any], *, deleted: bool,
                       message: str) -> list[Event]:
    """A PrivateIntegration's milestones: Created, Repointed, Deployed, Deleted (`message` says how)."""
    events: list[Event] = []
    integration_id = after.get("integrationId")
    if integration_id and not before.get("integrationId"):
        events.append(Event("Normal", "Created", f"created integration {integration_id}"))
    old_link, new_link = before.get("connectionId"), after.get("connectionId")
    if old_link and new_link and old_link != new_link:
        events.append(Event("Normal", "Repointed", f"now serves through VPC link {new_link} (was {old_link})"))
    deployment = after.get("lastDeploymentId")
    if deployment and deployment != before.get("lastDeploymentId"):
        stages = ", ".join(after.get("deployedStages") or []) or "no stage"
        events.append(Event("Normal", "Deployed", f"deployment {deployment} of stage(s) {stages}"))
    if deleted:
        events.append(Event("Normal", "Deleted", message))
    return events


def stall_event(before: Mapping[str, Any], health: Health, events: Sequence[Event]) -> list[Event]:
    """A Warning named after the Stalled reason when an object newly stalls (or stalls for a new reason),
    unless the pass already announces that reason (VpcLink's Failed, AwsRejected, ...)."""
    stalled = health.stalled
    if not stalled.status or any(event.reason == stalled.reason for event in events):
        return []
    previous = condition(before, "Stalled")
    if previous.get("status") == "True" and previous.get("reason") == stalled.reason:
        return []
    return [Event("Warning", stalled.reason, stalled.message)]


def condition(status: Mapping[str, Any], kind: str) -> Mapping[str, Any]:
    return next((c for c in status.get("conditions") or [] if c.get("type") == kind), {})


def state(status: Mapping[str, Any]) -> str:
    """`Ready`, `Reconciling(Creating)`, `Ready+Reconciling(Replacing)`, `Stalled(Failed)`, or `New`."""
    parts = []
    for kind in ("Ready", "Reconciling", "Stalled"):
        found = condition(status, kind)
        if found.get("status") == "True":
            parts.append(kind if kind == "Ready" else f"{kind}({found.get('reason')})")
    return "+".join(parts) or ("NotReady" if status.get("conditions") else "New")
