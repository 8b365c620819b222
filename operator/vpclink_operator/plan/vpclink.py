"""The planner: a pure function from (desired, observed) to actions, status and health.

No I/O, no clock, no kopf. Everything it needs is in `VpcLinkWorld`; everything it decides is in
`VpcLinkPlan`. `reconcile.py` observes AWS, calls it, applies the actions and writes the status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from vpclink_operator.models.conditions import Event, Health
from vpclink_operator.models.vpclink import (
    LINK_VERSIONS,
    OWNER_NAME_TAG,
    OWNER_NAMESPACE_TAG,
    OWNER_UID_TAG,
    ApiType,
    DesiredLink,
    ObservedLink,
    PreflightVerdict,
    Replacement,
    VpcLinkStatus,
)

INACTIVE_MESSAGE = (
    "AWS reports the VPC link INACTIVE: no traffic used it for 60 days, so API Gateway deleted its "
    "network interfaces. The first API requests fail until AWS reprovisions it, which takes a few "
    "minutes after traffic resumes."
)
PENDING_HINT = {"REST": "REST links take 2-4 minutes", "HTTP": "HTTP links take up to ~10 minutes"}


def provisioning(api_type: ApiType, link_id: str) -> Health:
    """A new link that AWS is still provisioning (PENDING)."""
    return Health.in_progress("Pending", f"AWS is provisioning link {link_id} ({PENDING_HINT[api_type]})")


@dataclass(frozen=True)
class CreateLink:
    purpose: Literal["primary", "replacement"]
    reason: str


@dataclass(frozen=True)
class UpdateLink:
    link_id: str
    name: str | None
    description: str | None


@dataclass(frozen=True)
class TagLink:
    link_id: str
    tags: Mapping[str, str]


@dataclass(frozen=True)
class UntagLink:
    link_id: str
    keys: tuple[str, ...]


@dataclass(frozen=True)
class DeleteLink:
    link_id: str


Action = CreateLink | UpdateLink | TagLink | UntagLink | DeleteLink


@dataclass(frozen=True)
class VpcLinkWorld:
    desired: DesiredLink
    owner_uid: str
    generation: int
    status: VpcLinkStatus
    observed: Mapping[str, ObservedLink]  # every link of this region and API type, by id
    deleting: bool = False
    dependants: Sequence[str] = ()  # "namespace/name" of PrivateIntegrations that use this VpcLink
    # link id -> dependants that still report it in their status.connectionId
    still_used: Mapping[str, Sequence[str]] = field(default_factory=dict)
    live_owner_uids: frozenset[str] = frozenset()  # UIDs of every VpcLink object that exists now
    # What pre-flight found about the network a new link would use. None: not checked yet; a plan that creates
    # a link is made again with it, so a refusal is decided here and a planned create is never vetoed later.
    preflight: PreflightVerdict | None = None


@dataclass(frozen=True)
class VpcLinkPlan:
    actions: list[Action]
    status: VpcLinkStatus
    health: Health
    events: list[Event] = field(default_factory=list)
    requeue: bool = False  # True: come back soon (AWS is still moving); False: steady state
    finished: bool = False  # deletion only: everything that had to go is gone
    unverified: str | None = None  # what pre-flight could not check for the link this plan creates

    @property
    def creates(self) -> bool:
        return any(isinstance(action, CreateLink) for action in self.actions)


def plan_vpc_link(world: VpcLinkWorld) -> VpcLinkPlan:
    if world.deleting:
        return _plan_deletion(world)
    return _LinkPlanner(world).plan()


class _LinkPlanner:
    def __init__(self, world: VpcLinkWorld) -> None:
        self.world = world
        self.desired = world.desired
        self.before = world.status
        self.spec_changed = world.generation != world.status.observed_generation
        self.actions: list[Action] = []
        self.events: list[Event] = []
        self.retired: list[str] = []
        self.replacement: Replacement | None = None
        self.previous_replacement = world.status.replacement  # None once promoted to current
        self.refused: str | None = None  # pre-flight's reason not to create the link this pass needs

    # -- the pass -------------------------------------------------------------------------------
    def plan(self) -> VpcLinkPlan:
        self._retire_links(self.before.retired_vpc_link_ids)
        if self.before.vpc_link_id and self.desired.adopt_id and self.desired.adopt_id != self.before.vpc_link_id:
            # Keep everything as it is: the link we manage must not be forgotten by a typo.
            return VpcLinkPlan([], self.before.model_copy(update={"observed_generation": self.world.generation}),
                               Health.stuck(
                "AdoptionChanged",
                f"spec.vpcLinkId: this VpcLink manages link {self.before.vpc_link_id}; it cannot switch to "
                f"{self.desired.adopt_id}. Create a new VpcLink to adopt another link.",
            ))
        current = self._current_link()
        if current is None:
            return self._create_primary()
        owner = _foreign_owner(current, self.world.owner_uid)
        if self.desired.adopt_id and owner is not None and current.tags[OWNER_UID_TAG] in self.world.live_owner_uids:
            # Nothing about that link changes, and this object never records it as its own.
            return self._finish(None, Health.stuck(
                "AdoptionRefused",
                f"spec.vpcLinkId: link {current.id} is managed by VpcLink {owner}; a link another VpcLink "
                "manages is never adopted. Reference that VpcLink from your PrivateIntegrations instead "
                "(its spec.allowedNamespaces can grant your namespace), or remove spec.vpcLinkId.",
            ))
        if current.status == "DELETING":
            return self._finish(current, Health.in_progress(
                "DeletedOutOfBand",
                f"link {current.id} is being deleted outside the operator; a new link follows once it is gone",
            ), requeue=True)

        self._update_mutable_fields(current)
        differences = self.desired.shape.differences(current.shape)
        if differences and self.desired.adopt_id:
            return self._finish(current, Health.stuck(
                "AdoptedLinkDiffers",
                f"spec.{', spec.'.join(differences)} differ from adopted link {current.id}, and AWS cannot "
                "change them in place; an adopted link is never replaced. Make the spec match the link, "
                "or remove spec.vpcLinkId to let the operator create and manage its own link.",
                ready=current.status == "AVAILABLE",
            ))
        current, replacing = self._replace_if_needed(current, differences)
        tracked = {current.id, *self.retired, *([self.replacement.vpc_link_id] if self.replacement else [])}
        self._retire_links([link.id for link in self._untracked_owned_links(tracked)])
        return self._finish(current, self._health(current, replacing), requeue=self._in_motion(current))

    # -- finding the link ---------------------------------------------------------------------------
    def _current_link(self) -> ObservedLink | None:
        link_id = self.before.vpc_link_id or self.desired.adopt_id
        if link_id is not None:
            observed = self.world.observed.get(link_id)
            if observed is not None or self.desired.adopt_id:
                return observed
        # Our link is gone or was never recorded: a replacement in flight takes over; else a link
        # tagged with our UID (a create that crashed before its id reached status); else nothing.
        promoted = self._promote_replacement()
        if promoted is not None:
            return promoted
        tagged = self._untracked_owned_links({link_id} if link_id else set())
        if tagged:
            self._retire_links([link.id for link in tagged[1:]])  # keep one, never two
            return tagged[0]
        if link_id is not None:
            self.events.append(Event("Warning", "DriftRecreated",
                                     f"link {link_id} was deleted outside the operator; creating a new one"))
        return None

    def _promote_replacement(self) -> ObservedLink | None:
        previous = self.previous_replacement
        if previous is None or previous.vpc_link_status == "FAILED":
            return None
        candidate = self.world.observed.get(previous.vpc_link_id)
        if candidate is None or candidate.status in ("DELETING", "FAILED"):
            return None
        self.previous_replacement = None
        self.events.append(Event("Warning", "Replaced",
                                 f"link {self.before.vpc_link_id} disappeared; replacement {candidate.id} takes over"))
        return candidate

    def _untracked_owned_links(self, also_known: set[str]) -> list[ObservedLink]:
        """Links carrying our owner UID that status does not know, best first (AVAILABLE, then by id)."""
        known = {*also_known, *self.before.retired_vpc_link_ids}
        if self.before.replacement:
            known.add(self.before.replacement.vpc_link_id)
        return sorted(
            (link for link in self.world.observed.values()
             if link.tags.get(OWNER_UID_TAG) == self.world.owner_uid and link.id not in known
             and link.status != "DELETING"),
            key=lambda link: (link.status != "AVAILABLE", link.id),
        )

    def _create_primary(self) -> VpcLinkPlan:
        if self.desired.adopt_id:
            return self._finish(None, Health.stuck(
                "VpcLinkNotFound",
                f"spec.vpcLinkId: link {self.desired.adopt_id} does not exist in {self.desired.region} "
                f"({self.desired.api_type})",
            ))
        self._create("primary", "no link exists yet")
        return self._finish(None, Health.in_progress("Creating", "creating the VPC link"), requeue=True)

    def _create(self, purpose: Literal["primary", "replacement"], reason: str) -> bool:
        """Plan a new link unless pre-flight refuses it; a warning is said once, with the create."""
        verdict = self.world.preflight
        if verdict is not None and verdict.problem is not None:
            self.refused = verdict.problem
            return False
        if verdict is not None and verdict.warning is not None:
            self.events.append(Event("Warning", "PreflightUnverified", verdict.warning))
        self.actions.append(CreateLink(purpose, reason))
        return True

    # -- updates in place ---------------------------------------------------------------------------
    def _update_mutable_fields(self, current: ObservedLink) -> None:
        name = self.desired.name if self.desired.name not in (None, current.name) else None
        description = None
        if self.desired.api_type == "REST" and (self.desired.description or "") != (current.description or ""):
            description = self.desired.description or ""
        if name is not None or description is not None:
            self.actions.append(UpdateLink(current.id, name, description))
        missing = {k: v for k, v in self.desired.tags.items() if current.tags.get(k) != v}
        if missing:
            self.actions.append(TagLink(current.id, missing))
        # A link the operator created carries only its tags; an adopted one keeps the tags others put on it,
        # and loses only keys this operator set itself.
        extra = tuple(sorted(k for k in current.tags if k not in self.desired.tags and not k.startswith("aws:")
                             and (not self.desired.adopt_id or k in self.before.managed_tag_keys)))
        if extra:
            self.actions.append(UntagLink(current.id, extra))

    # -- replacement (create before destroy) --------------------------------------------------------
    def _replace_if_needed(self, current: ObservedLink, differences: list[str]) -> tuple[ObservedLink, bool]:
        """Returns the link that serves now and whether a replacement is still in flight."""
        previous = self.previous_replacement
        if previous is not None and previous.vpc_link_status == "FAILED" and not self.spec_changed:
            # A failed attempt stays recorded until the spec changes, so it is not retried in a loop.
            self._retire_links([previous.vpc_link_id])
            self.replacement = previous
            return current, False
        candidate = self.world.observed.get(previous.vpc_link_id) if previous else None
        if previous is not None and (candidate is None or candidate.shape != self.desired.shape
                                     or previous.vpc_link_status == "FAILED"):
            # Gone, superseded by a newer spec, or a failure the user has since reacted to.
            self._retire_links([previous.vpc_link_id])
            candidate = None
        if candidate is not None and previous is not None:
            if candidate.status == "AVAILABLE":
                self.events.append(Event("Normal", "Replaced",
                                         f"link {candidate.id} is AVAILABLE and replaces {current.id}"))
                self._retire_links([current.id])
                return candidate, False
            if candidate.status == "FAILED":
                self.events.append(Event("Warning", "ReplacementFailed",
                                         f"replacement link {candidate.id} FAILED: {candidate.status_message}; "
                                         f"still serving on {current.id}"))
                self._retire_links([candidate.id])
                self.replacement = Replacement(vpc_link_id=candidate.id, vpc_link_status="FAILED",
                                               status_message=candidate.status_message, reason=previous.reason)
                return current, False
            self.replacement = Replacement(vpc_link_id=candidate.id, vpc_link_status=candidate.status,
                                           status_message=candidate.status_message or None,
                                           reason=previous.reason)
            return current, True
        if differences:
            reason = f"{', '.join(differences)} changed"
            orphan = next((link for link in self._untracked_owned_links({current.id})
                           if link.shape == self.desired.shape and link.status != "FAILED"), None)
            if orphan is not None:  # created before a crash, before its id reached status
                self.replacement = Replacement(vpc_link_id=orphan.id, vpc_link_status=orphan.status,
                                               status_message=orphan.status_message or None, reason=reason)
                return current, True
            if not self._create("replacement", reason):
                return current, False
            self.events.append(Event("Normal", "Replacing",
                                     f"{reason}; AWS cannot change it in place, creating a new link before "
                                     f"retiring {current.id}"))
            return current, True
        return current, False

    def _retire_links(self, link_ids: Sequence[str]) -> None:
        """Delete superseded links once AWS still has them and nothing reports them in use."""
        for link_id in link_ids:
            observed = self.world.observed.get(link_id)
            if observed is None or link_id in self.retired:
                continue
            self.retired.append(link_id)
            if observed.status != "DELETING" and not self.world.still_used.get(link_id):
                self.actions.append(DeleteLink(link_id))

    # -- health -------------------------------------------------------------------------------------
    def _health(self, current: ObservedLink, replacing: bool) -> Health:
        available = current.status == "AVAILABLE"
        failed_replacement = self.replacement if (self.replacement and
                                                  self.replacement.vpc_link_status == "FAILED") else None
        if replacing:
            detail = (f"new link {self.replacement.vpc_link_id} is {self.replacement.vpc_link_status}"
                      if self.replacement else "creating the new link")
            return Health.in_progress("Replacing", f"replacing link {current.id}: {detail}", ready=available)
        if current.status == "FAILED":
            return Health.stuck("Failed", f"{_failed_field(self.desired.api_type, current.status_message)}: AWS "
                                          f"reports link {current.id} FAILED: {current.status_message}")
        if current.status == "INACTIVE":
            return Health.stuck("Inactive", INACTIVE_MESSAGE)
        if failed_replacement is not None:
            return Health.stuck(
                "ReplacementFailed",
                f"replacement link {failed_replacement.vpc_link_id} ({failed_replacement.reason}) FAILED: "
                f"{failed_replacement.status_message}. Still serving on {current.id}; change the spec to retry.",
                ready=available,
            )
        if current.status == "PENDING":
            return provisioning(self.desired.api_type, current.id)
        if self.retired:
            users = sorted({user for link_id in self.retired for user in self.world.still_used.get(link_id, ())})
            waiting = f"; waiting for {', '.join(users)} to move to {current.id}" if users else ""
            return Health.in_progress("RetiringOldLink",
                                      f"serving on {current.id}; retiring link(s) {', '.join(self.retired)}{waiting}",
                                      ready=True)
        return Health.available("Available", f"link {current.id} is AVAILABLE")

    def _in_motion(self, current: ObservedLink) -> bool:
        return bool(current.status in ("PENDING", "DELETING") or self.actions or self.retired
                    or (self.replacement is not None and self.replacement.vpc_link_status != "FAILED"))

    def _finish(self, current: ObservedLink | None, health: Health, requeue: bool = False) -> VpcLinkPlan:
        status = VpcLinkStatus(
            observed_generation=self.world.generation,
            vpc_link_id=current.id if current else None,
            vpc_link_status=current.status if current else None,
            vpc_link_version=LINK_VERSIONS[self.world.desired.api_type],
            status_message=(current.status_message or None) if current else None,
            replacement=self.replacement,
            retired_vpc_link_ids=self.retired,
            managed_tag_keys=sorted(self.desired.tags) if current else self.before.managed_tag_keys,
            conditions=self.before.conditions,
        )
        self.events.extend(_transition_events(self.before, status))
        if self.refused is not None:
            self.events.append(Event("Warning", "PreflightFailed", self.refused))
            return VpcLinkPlan(self.actions, status, Health.stuck("PreflightFailed", self.refused,
                                                                  ready=health.ready.status), self.events)
        plan = VpcLinkPlan(self.actions, status, health, self.events, requeue=requeue)
        verdict = self.world.preflight
        return replace(plan, unverified=verdict.warning) if verdict is not None and plan.creates else plan


def _foreign_owner(link: ObservedLink, owner_uid: str) -> str | None:
    """`namespace/name (uid ...)` of the object whose owner tags the link carries, if not ours."""
    uid = link.tags.get(OWNER_UID_TAG)
    if uid is None or uid == owner_uid:
        return None
    return f"{link.tags.get(OWNER_NAMESPACE_TAG, '?')}/{link.tags.get(OWNER_NAME_TAG, '?')} (uid {uid})"


def _failed_field(api_type: str, message: str) -> str:
    """The spec field a FAILED link's reason points at: REST links fail on their NLB; HTTP links on
    their subnets, unless AWS names the security groups."""
    if api_type == "REST":
        return "spec.targetArns"
    return "spec.securityGroupIds" if "security group" in message.lower() else "spec.subnetIds"


def _transition_events(before: VpcLinkStatus, after: VpcLinkStatus) -> list[Event]:
    if after.vpc_link_id is None or (before.vpc_link_id == after.vpc_link_id
                                     and before.vpc_link_status == after.vpc_link_status):
        return []
    if after.vpc_link_status == "AVAILABLE":
        return [Event("Normal", "Available", f"link {after.vpc_link_id} is AVAILABLE")]
    if after.vpc_link_status == "FAILED":
        return [Event("Warning", "Failed", f"link {after.vpc_link_id} FAILED: {after.status_message}")]
    if after.vpc_link_status == "INACTIVE":
        return [Event("Warning", "Inactive", INACTIVE_MESSAGE)]
    return []


def _plan_deletion(world: VpcLinkWorld) -> VpcLinkPlan:
    status = world.status
    ours = [status.replacement.vpc_link_id] if status.replacement else []
    ours += status.retired_vpc_link_ids
    ours += [link.id for link in world.observed.values() if link.tags.get(OWNER_UID_TAG) == world.owner_uid]
    current = status.vpc_link_id or world.desired.adopt_id
    if current and not world.desired.retain:
        if world.dependants:
            # The dependants wait for AVAILABLE: keep AWS's status showing, or a link deleted while PENDING
            # would stay PENDING for them, and each would wait for the other forever.
            if current in world.observed:
                observed = world.observed[current]
                status = status.model_copy(update={"vpc_link_status": observed.status,
                                                   "status_message": observed.status_message or None})
            return VpcLinkPlan([], status, Health.in_progress(
                "WaitingForDependants",
                f"deletion waits: PrivateIntegration(s) {', '.join(world.dependants)} still use this link",
                ready=status.vpc_link_status == "AVAILABLE"), requeue=True)
        ours.append(current)
    else:
        ours = [i for i in ours if i != current]  # Retain: the serving link stays, though it carries our tags
    # A link that carries another object's owner tags (an adoption that was refused) is never ours to delete.
    remaining = [world.observed[i] for i in dict.fromkeys(ours)
                 if i in world.observed and _foreign_owner(world.observed[i], world.owner_uid) is None]
    actions: list[Action] = [DeleteLink(link.id) for link in remaining if link.status != "DELETING"]
    if not remaining:
        return VpcLinkPlan([], status, Health.in_progress("Deleted", "all links are deleted"), finished=True)
    return VpcLinkPlan(actions, status, Health.in_progress(
        "Deleting", f"deleting link(s) {', '.join(link.id for link in remaining)}"), requeue=True)
