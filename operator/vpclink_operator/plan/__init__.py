"""The planners: pure functions from (desired, observed) to actions, status and health.

No I/O, no clock, no kopf. `reconcile` observes AWS, calls a planner, applies its actions and
writes the status it returns.
"""

from vpclink_operator.models.conditions import Event
from vpclink_operator.plan.vpclink import (
    INACTIVE_MESSAGE,
    Action,
    CreateLink,
    DeleteLink,
    TagLink,
    UntagLink,
    UpdateLink,
    VpcLinkPlan,
    VpcLinkWorld,
    plan_vpc_link,
    provisioning,
)

__all__ = [
    "INACTIVE_MESSAGE",
    "Action",
    "CreateLink",
    "DeleteLink",
    "Event",
    "TagLink",
    "UntagLink",
    "UpdateLink",
    "VpcLinkPlan",
    "VpcLinkWorld",
    "plan_vpc_link",
    "provisioning",
]
