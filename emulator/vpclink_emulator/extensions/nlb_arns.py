"""Network load balancers get `loadbalancer/net/` ARNs (and `listener/net/` listeners).

Stock moto builds every load balancer ARN with `app/`. API Gateway tells the two apart by
that segment (REST VPC links need an NLB), so the emulator must get it right.
"""

from __future__ import annotations

from typing import Any

from moto.elbv2.models import ELBv2Backend, FakeLoadBalancer

from ..monkeypatch import original, patch


def create_load_balancer(self: ELBv2Backend, *args: Any, **kwargs: Any) -> FakeLoadBalancer:
    balancer: FakeLoadBalancer = original(ELBv2Backend, "create_load_balancer")(self, *args, **kwargs)
    if balancer.type == "network" and ":loadbalancer/app/" in balancer.arn:
        old_arn = balancer.arn
        balancer.arn = old_arn.replace(":loadbalancer/app/", ":loadbalancer/net/")
        self.load_balancers[balancer.arn] = self.load_balancers.pop(old_arn)
        self.tagging_service.copy_tags(old_arn, balancer.arn)
        self.tagging_service.delete_all_tags_for_resource(old_arn)
    return balancer


def install() -> None:
    patch(ELBv2Backend, "create_load_balancer")(create_load_balancer)
