"""A REST link and its private integrations through the steps an on-call engineer sees: created, deployed,
one integration stalled, the link replaced (create before destroy), everything deleted.

Shared by the operations tests (logs, events, metrics) and the kubectl plugin tests.
"""

from __future__ import annotations

from typing import Any

from conftest import Network, apply, condition, get, vpclink, wait_for

GROUP = "apigateway.vpclink.dev/v1alpha1"
LINK = "edge"


def integration(name: str, /, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": GROUP, "kind": "PrivateIntegration", "metadata": {"name": name}, "spec": spec}


def rest_api(aws: Any) -> str:
    v1 = aws("apigateway")
    api = str(v1.create_rest_api(name="orders")["id"])
    root = next(r["id"] for r in v1.get_resources(restApiId=api)["items"] if r["path"] == "/")
    v1.create_resource(restApiId=api, parentId=root, pathPart="orders")
    return api


def ready(kubectl: Any, ns: str, kind: str, name: str) -> dict[str, Any]:
    return wait_for(lambda: (o := get(kubectl, ns, kind, name)) and condition(o, "Ready").get("status") == "True"
                    and not o["status"].get("replacement") and o, timeout=60, what=f"{kind}/{name} Ready")


def create(kubectl: Any, ns: str, network: Network, api: str) -> str:
    """A REST link, an integration deployed to stage `prod`, and one that cannot work (HTTP spec on a REST link)."""
    apply(kubectl, ns, vpclink(LINK, apiType="REST", targetArns=[network.nlb_arn]))
    link_id = str(ready(kubectl, ns, "vl", LINK)["status"]["vpcLinkId"])
    apply(kubectl, ns, integration("orders", vpcLinkRef={"name": LINK}, rest={
        "restApiId": api, "resourcePath": "/orders", "httpMethod": "GET", "authorizationType": "NONE",
        "integrationHttpMethod": "GET", "uri": "http://orders.internal.example.com/orders", "stages": ["prod"]}))
    ready(kubectl, ns, "pi", "orders")
    apply(kubectl, ns, integration("misfit", vpcLinkRef={"name": LINK}, http={
        "apiId": "a1b2c3d4e5",
        "integrationUri": "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/alb/0123456789abcdef/"
                          "0123456789abcdef"}))
    wait_for(lambda: condition(get(kubectl, ns, "pi", "misfit"), "Stalled").get("reason") == "ApiTypeMismatch",
             what="misfit Stalled")
    return link_id


def start_replacement(kubectl: Any, ns: str, network: Network) -> None:
    """The target NLB cannot change in place: the operator creates a new link first."""
    apply(kubectl, ns, vpclink(LINK, apiType="REST", targetArns=[network.second_nlb_arn]))
    wait_for(lambda: get(kubectl, ns, "vl", LINK)["status"].get("replacement"), what="replacement started")


def finish_replacement(kubectl: Any, ns: str, old_link: str) -> str:
    new_link = wait_for(lambda: (i := get(kubectl, ns, "vl", LINK)["status"].get("vpcLinkId")) != old_link and i,
                        timeout=60, what="swap")
    wait_for(lambda: get(kubectl, ns, "pi", "orders")["status"].get("connectionId") == new_link,
             timeout=60, what="integration repointed")
    wait_for(lambda: (o := get(kubectl, ns, "vl", LINK)) and not o["status"].get("retiredVpcLinkIds")
             and condition(o, "Reconciling").get("status") == "False", timeout=60, what="old link retired")
    return str(new_link)


def delete_all(kubectl: Any, ns: str, aws: Any, api: str) -> None:
    """The integrations, then the API (its deployed stage still references the link, and AWS refuses to
    delete a link that is referenced), then the link."""
    kubectl("delete", "pi", "orders", "misfit", "-n", ns, "--timeout=60s", timeout=70)
    aws("apigateway").delete_rest_api(restApiId=api)
    kubectl("delete", "vl", LINK, "-n", ns, "--timeout=60s", timeout=70)
