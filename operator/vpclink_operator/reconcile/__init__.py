"""Level-based reconciles: observe AWS -> plan -> apply -> status. They know nothing of kopf."""

from vpclink_operator.reconcile.services import Services

__all__ = ["Services"]
