"""The CRDs in crds/ as the real kube-apiserver enforces them: schema, CEL rules, status, kubectl UX.

Every rejection case mutates a known-good object in exactly one place (the apiserver skips CEL
rules once a schema error is found), and the good objects are themselves checked to be accepted.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((REPO / "examples").glob("*.yaml"))
GROUP = "apigateway.vpclink.dev"
VPCLINK_CRD = f"vpclinks.{GROUP}"
PI_CRD = f"privateintegrations.{GROUP}"

NLB_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
    "loadbalancer/net/my-vpclink-test-nlb/1f8df693cd094a72"
)
ALB_ARN = (
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/my-load-balancer/50dc6c495c0c9188"
)
LISTENER_ARN = (
    "arn:aws:elasticloadbalancing:us-east-2:123456789012:"
    "listener/app/my-load-balancer/50dc6c495c0c9188/0467ef3c8400ae65"
)
CLOUD_MAP_ARN = "arn:aws:servicediscovery:us-east-2:123456789012:service/srv-e4anhexample0004"

BASES: dict[str, dict[str, Any]] = {
    "http_link": {
        "apiVersion": f"{GROUP}/v1alpha1",
        "kind": "VpcLink",
        "metadata": {"name": "http-link"},
        "spec": {
            "apiType": "HTTP",
            "subnetIds": ["subnet-0a1b2c3d4e5f60718", "subnet-0b2c3d4e5f6071829"],
            "securityGroupIds": ["sg-0c3d4e5f607182930"],
            "tags": {"team": "shop"},
        },
    },
    "rest_link": {
        "apiVersion": f"{GROUP}/v1alpha1",
        "kind": "VpcLink",
        "metadata": {"name": "rest-link"},
        "spec": {"apiType": "REST", "targetArns": [NLB_ARN], "description": "to the NLB"},
    },
    "http_pi": {
        "apiVersion": f"{GROUP}/v1alpha1",
        "kind": "PrivateIntegration",
        "metadata": {"name": "http-pi"},
        "spec": {
            "vpcLinkRef": {"name": "http-link"},
            "http": {
                "apiId": "a1b2c3d4e5",
                "integrationUri": LISTENER_ARN,
                "routeKeys": ["ANY /api/{proxy+}"],
            },
        },
    },
    "rest_pi": {
        "apiVersion": f"{GROUP}/v1alpha1",
        "kind": "PrivateIntegration",
        "metadata": {"name": "rest-pi"},
        "spec": {
            "vpcLinkRef": {"name": "rest-link"},
            "rest": {
                "restApiId": "6j4m3244we",
                "resourcePath": "/orders",
                "httpMethod": "GET",
                "integrationHttpMethod": "GET",
                "uri": "http://orders.internal.example.com/orders",
                "connectionIdFrom": "StageVariable",
                "stageVariable": "vpcLinkId",
                "stages": ["test"],
            },
        },
    },
}

DELETE = object()



def patch_status(kubectl, namespace: str, kind: str, name: str, status: dict, check: bool = True):
    return kubectl("patch", "-n", namespace, kind, name, "--subresource=status", "--type=merge", "-p",
                   json.dumps({"status": status}), check=check)

def build(base: str, changes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A deep copy of BASES[base] with dotted paths set (or removed with DELETE)."""
    obj = copy.deepcopy(BASES[base])
    for path, value in (changes or {}).items():
        *parents, leaf = path.split(".")
        node = obj
        for key in parents:
            node = node.setdefault(key, {})
        if value is DELETE:
            node.pop(leaf, None)
        else:
            node[leaf] = value
    return obj


def apply(kubectl: Any, namespace: str, obj: dict[str, Any], *, dry_run: bool = True) -> Any:
    args = ["apply", "-n", namespace, "-f", "-"]
    if dry_run:
        args.append("--dry-run=server")
    return kubectl(*args, input=json.dumps(obj), check=False)


def table(stdout: str) -> list[dict[str, str]]:
    """Parse kubectl's aligned table output by the start offset of each header."""
    header, *rows = stdout.rstrip("\n").splitlines()
    names = [name for name in header.split("  ") if name.strip()]
    starts = []
    offset = 0
    for name in names:
        offset = header.index(name.strip(), offset)
        starts.append(offset)
    ends = [*starts[1:], None]
    return [
        {name.strip(): row[start:end].strip() for name, start, end in zip(names, starts, ends, strict=True)}
        for row in rows
    ]


def condition(type_: str = "Ready", status: str = "True", reason: str = "Available") -> dict[str, Any]:
    return {
        "type": type_,
        "status": status,
        "reason": reason,
        "message": "ok",
        "observedGeneration": 1,
        "lastTransitionTime": "2025-01-01T00:00:00Z",
    }


def walk_schema(schema: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path or "<root>", schema
    for name, sub in schema.get("properties", {}).items():
        yield from walk_schema(sub, f"{path}.{name}")
    if isinstance(schema.get("items"), dict):
        yield from walk_schema(schema["items"], f"{path}[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from walk_schema(schema["additionalProperties"], f"{path}{{}}")


# --------------------------------------------------------------------------------------- examples


def test_examples_cover_every_seed_flow() -> None:
    docs = [yaml.safe_load(path.read_text()) for path in EXAMPLES]
    flows = set()
    for doc in docs:
        spec = doc["spec"]
        if doc["kind"] == "VpcLink":
            flows.add(f"VpcLink/{spec['apiType']}")
        elif "rest" in spec:
            flows.add(f"rest/{spec['rest'].get('connectionIdFrom', 'Direct')}")
        elif ":listener/" in spec["http"]["integrationUri"]:
            flows.add("http/listener")
        elif ":servicediscovery:" in spec["http"]["integrationUri"]:
            flows.add("http/cloudmap")
    assert flows == {
        "VpcLink/HTTP",
        "VpcLink/REST",
        "rest/Direct",
        "rest/StageVariable",
        "http/listener",
        "http/cloudmap",
    }


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_is_accepted(kubectl, crds, namespace, example: Path) -> None:
    proc = kubectl("apply", "-n", namespace, "--dry-run=server", "-f", str(example), check=False)
    assert proc.returncode == 0, proc.stderr
    assert "(server dry run)" in proc.stdout


# ----------------------------------------------------------------------------- CEL / schema rules


@pytest.mark.parametrize("base", sorted(BASES))
def test_base_objects_are_accepted(kubectl, crds, namespace, base: str) -> None:
    proc = apply(kubectl, namespace, build(base))
    assert proc.returncode == 0, proc.stderr


REJECTED: list[tuple[str, str, dict[str, Any], str]] = [
    # --- VpcLink
    ("apiType-enum", "http_link", {"spec.apiType": "GRPC"}, 'spec.apiType: Unsupported value: "GRPC"'),
    ("apiType-required", "http_link", {"spec.apiType": DELETE}, "spec.apiType: Required value"),
    (
        "http-needs-subnets",
        "http_link",
        {"spec.subnetIds": DELETE},
        "spec.subnetIds: Required value: spec.subnetIds must list 1 to 10 subnets when apiType is HTTP",
    ),
    (
        "http-empty-subnets",
        "http_link",
        {"spec.subnetIds": []},
        "spec.subnetIds: Required value: spec.subnetIds must list 1 to 10 subnets",
    ),
    (
        "http-max-10-subnets",
        "http_link",
        {"spec.subnetIds": [f"subnet-0a1b2c3d4e5f607{i:02d}" for i in range(11)]},
        "spec.subnetIds: Too many: 11: must have at most 10 items",
    ),
    (
        "http-max-5-sgs",
        "http_link",
        {"spec.securityGroupIds": [f"sg-0c3d4e5f6071829{i:02d}" for i in range(6)]},
        "spec.securityGroupIds: Too many: 6: must have at most 5 items",
    ),
    (
        "http-forbids-targetArns",
        "http_link",
        {"spec.targetArns": [NLB_ARN]},
        "spec.targetArns: Forbidden: spec.targetArns is only valid when apiType is REST",
    ),
    (
        "http-forbids-description",
        "http_link",
        {"spec.description": "x"},
        "spec.description: Forbidden: spec.description is only valid when apiType is REST",
    ),
    (
        "subnet-pattern",
        "http_link",
        {"spec.subnetIds": ["subnet-aaaa"]},
        'spec.subnetIds[0]: Invalid value: "subnet-aaaa"',
    ),
    (
        "subnet-set",
        "http_link",
        {"spec.subnetIds": ["subnet-0a1b2c3d4e5f60718"] * 2},
        'spec.subnetIds[1]: Duplicate value: "subnet-0a1b2c3d4e5f60718"',
    ),
    (
        "sg-pattern",
        "http_link",
        {"spec.securityGroupIds": ["sg1234"]},
        'spec.securityGroupIds[0]: Invalid value: "sg1234"',
    ),
    (
        "sg-set",
        "http_link",
        {"spec.securityGroupIds": ["sg-0c3d4e5f607182930"] * 2},
        'spec.securityGroupIds[1]: Duplicate value: "sg-0c3d4e5f607182930"',
    ),
    (
        "rest-needs-targetArns",
        "rest_link",
        {"spec.targetArns": DELETE},
        "spec.targetArns: Invalid value: spec.targetArns must hold exactly one Network Load Balancer ARN",
    ),
    (
        "rest-exactly-one-target",
        "rest_link",
        {"spec.targetArns": [NLB_ARN, NLB_ARN.replace("1f8df693cd094a72", "2f8df693cd094a73")]},
        "spec.targetArns must hold exactly one Network Load Balancer ARN when apiType is REST",
    ),
    (
        "rest-target-is-nlb",
        "rest_link",
        {"spec.targetArns": [ALB_ARN]},
        'spec.targetArns[0]: Invalid value: "'
        + ALB_ARN
        + '": spec.targetArns entries must be Network Load Balancer ARNs',
    ),
    (
        "rest-forbids-subnets",
        "rest_link",
        {"spec.subnetIds": ["subnet-0a1b2c3d4e5f60718"]},
        "spec.subnetIds: Forbidden: spec.subnetIds is only valid when apiType is HTTP",
    ),
    (
        "rest-forbids-sgs",
        "rest_link",
        {"spec.securityGroupIds": ["sg-0c3d4e5f607182930"]},
        "spec.securityGroupIds: Forbidden: spec.securityGroupIds is only valid when apiType is HTTP",
    ),
    ("region-pattern", "http_link", {"spec.region": "US-EAST-2"}, 'spec.region: Invalid value: "US-EAST-2"'),
    (
        "vpcLinkId-pattern",
        "http_link",
        {"spec.vpcLinkId": "Not_An_Id"},
        'spec.vpcLinkId: Invalid value: "Not_An_Id"',
    ),
    (
        "name-min",
        "http_link",
        {"spec.name": ""},
        'spec.name: Invalid value: "": spec.name in body should be at least 1',
    ),
    ("name-max", "http_link", {"spec.name": "n" * 256}, "spec.name: Too long: may not be more than 255"),
    (
        "description-max",
        "rest_link",
        {"spec.description": "d" * 1025},
        "spec.description: Too long: may not be more than 1024",
    ),
    (
        "tag-key-aws-prefix",
        "http_link",
        {"spec.tags": {"aws:cloudformation:stack": "x"}},
        'spec.tags: Invalid value: spec.tags keys must not start with "aws:"',
    ),
    (
        "tag-key-length",
        "http_link",
        {"spec.tags": {"k" * 129: "x"}},
        "spec.tags: Invalid value: spec.tags keys must be 1 to 128 characters long",
    ),
    (
        "tag-key-empty",
        "http_link",
        {"spec.tags": {"": "x"}},
        "spec.tags: Invalid value: spec.tags keys must be 1 to 128 characters long",
    ),
    (
        "tag-value-length",
        "http_link",
        {"spec.tags": {"team": "v" * 257}},
        "spec.tags.team: Too long: may not be more than 256",
    ),
    (
        "tag-count",
        "http_link",
        {"spec.tags": {f"k{i}": "v" for i in range(48)}},
        "spec.tags: Too many: 48: must have at most 47 items",
    ),
    (
        "deletionPolicy-enum",
        "http_link",
        {"spec.deletionPolicy": "Orphan"},
        'spec.deletionPolicy: Unsupported value: "Orphan"',
    ),
    (
        "allowedNamespaces-dns-label",
        "http_link",
        {"spec.allowedNamespaces": ["Payments"]},
        'spec.allowedNamespaces[0]: Invalid value: "Payments"',
    ),
    (
        "allowedNamespaces-set",
        "http_link",
        {"spec.allowedNamespaces": ["payments", "payments"]},
        'spec.allowedNamespaces[1]: Duplicate value: "payments"',
    ),
    (
        "vl-unknown-spec-field",
        "http_link",
        {"spec.subnets": ["subnet-0a1b2c3d4e5f60718"]},
        'unknown field "spec.subnets"',
    ),
    ("vl-unknown-status-field", "http_link", {"status.phase": "Ready"}, 'unknown field "status.phase"'),
    # --- PrivateIntegration
    (
        "http-and-rest",
        "http_pi",
        {"spec.rest": BASES["rest_pi"]["spec"]["rest"]},
        "exactly one of spec.http or spec.rest must be set",
    ),
    (
        "neither-http-nor-rest",
        "http_pi",
        {"spec.http": DELETE},
        "exactly one of spec.http or spec.rest must be set",
    ),
    (
        "ref-and-id",
        "http_pi",
        {"spec.vpcLinkId": "gim7c3"},
        "exactly one of spec.vpcLinkRef or spec.vpcLinkId must be set",
    ),
    (
        "neither-ref-nor-id",
        "http_pi",
        {"spec.vpcLinkRef": DELETE},
        "exactly one of spec.vpcLinkRef or spec.vpcLinkId must be set",
    ),
    (
        "ref-needs-name",
        "http_pi",
        {"spec.vpcLinkRef": {"namespace": "shop"}},
        "spec.vpcLinkRef.name: Required value",
    ),
    (
        "ref-namespace-label",
        "http_pi",
        {"spec.vpcLinkRef": {"name": "l", "namespace": "Shop_NS"}},
        'spec.vpcLinkRef.namespace: Invalid value: "Shop_NS"',
    ),
    (
        "pi-vpcLinkId-pattern",
        "http_pi",
        {"spec.vpcLinkRef": DELETE, "spec.vpcLinkId": "GIM7C3"},
        'spec.vpcLinkId: Invalid value: "GIM7C3"',
    ),
    (
        "http-timeout-min",
        "http_pi",
        {"spec.http.timeoutInMillis": 49},
        (
            "spec.http.timeoutInMillis: Invalid value: 49: "
            "spec.http.timeoutInMillis in body should be greater than or equal to 50"
        ),
    ),
    (
        "http-timeout-max",
        "http_pi",
        {"spec.http.timeoutInMillis": 30001},
        "spec.http.timeoutInMillis in body should be less than or equal to 30000",
    ),
    ("http-apiId-required", "http_pi", {"spec.http.apiId": DELETE}, "spec.http.apiId: Required value"),
    (
        "http-apiId-pattern",
        "http_pi",
        {"spec.http.apiId": "A1B2C3D4E5"},
        'spec.http.apiId: Invalid value: "A1B2C3D4E5"',
    ),
    (
        "integrationUri-not-arn",
        "http_pi",
        {"spec.http.integrationUri": "http://orders.internal:8080"},
        'spec.http.integrationUri: Invalid value: "http://orders.internal:8080": '
        "spec.http.integrationUri must be an ELB listener ARN",
    ),
    (
        "integrationUri-lb-not-listener",
        "http_pi",
        {"spec.http.integrationUri": ALB_ARN},
        "spec.http.integrationUri must be an ELB listener ARN",
    ),
    (
        "integrationUri-gwlb-listener",
        "http_pi",
        {"spec.http.integrationUri": LISTENER_ARN.replace("listener/app/", "listener/gwy/")},
        "spec.http.integrationUri must be an ELB listener ARN",
    ),
    (
        "integrationUri-cloudmap-namespace",
        "http_pi",
        {"spec.http.integrationUri": "arn:aws:servicediscovery:us-east-2:123456789012:namespace/ns-abcdefgh"},
        "spec.http.integrationUri must be an ELB listener ARN",
    ),
    (
        "integrationUri-bad-query",
        "http_pi",
        {"spec.http.integrationUri": CLOUD_MAP_ARN + "?stage=prod deployment"},
        "spec.http.integrationUri must be an ELB listener ARN",
    ),
    (
        "integrationMethod-enum",
        "http_pi",
        {"spec.http.integrationMethod": "FETCH"},
        'spec.http.integrationMethod: Unsupported value: "FETCH"',
    ),
    (
        "payloadFormatVersion-1.0-only",
        "http_pi",
        {"spec.http.payloadFormatVersion": "2.0"},
        'spec.http.payloadFormatVersion: Unsupported value: "2.0"',
    ),
    (
        "tls-server-name",
        "http_pi",
        {"spec.http.tlsServerNameToVerify": "https://orders.example.com"},
        'spec.http.tlsServerNameToVerify: Invalid value: "https://orders.example.com"',
    ),
    (
        "routeKey-format",
        "http_pi",
        {"spec.http.routeKeys": ["/api/{proxy+}"]},
        (
            'spec.http.routeKeys[0]: Invalid value: "/api/{proxy+}": '
            'spec.http.routeKeys entries must be "$default"'
        ),
    ),
    (
        "routeKey-method",
        "http_pi",
        {"spec.http.routeKeys": ["FETCH /api"]},
        'spec.http.routeKeys[0]: Invalid value: "FETCH /api"',
    ),
    (
        "routeKeys-set",
        "http_pi",
        {"spec.http.routeKeys": ["$default", "$default"]},
        'spec.http.routeKeys[1]: Duplicate value: "$default"',
    ),
    (
        "requestParameters-key",
        "http_pi",
        {"spec.http.requestParameters": {"header.x-tenant": "t"}},
        "spec.http.requestParameters: Invalid value: spec.http.requestParameters keys must look like",
    ),
    (
        "requestParameters-value-type",
        "http_pi",
        {"spec.http.requestParameters": {"overwrite:path": 1}},
        'spec.http.requestParameters.overwrite:path: Invalid value: "integer"',
    ),
    (
        "rest-timeout-max",
        "rest_pi",
        {"spec.rest.timeoutInMillis": 29001},
        (
            "spec.rest.timeoutInMillis: Invalid value: 29001: "
            "spec.rest.timeoutInMillis in body should be less than or equal to 29000"
        ),
    ),
    (
        "rest-timeout-min",
        "rest_pi",
        {"spec.rest.timeoutInMillis": 49},
        "spec.rest.timeoutInMillis in body should be greater than or equal to 50",
    ),
    (
        "restApiId-pattern",
        "rest_pi",
        {"spec.rest.restApiId": "6J4M3244WE"},
        'spec.rest.restApiId: Invalid value: "6J4M3244WE"',
    ),
    (
        "resourcePath-leading-slash",
        "rest_pi",
        {"spec.rest.resourcePath": "orders"},
        'spec.rest.resourcePath: Invalid value: "orders": spec.rest.resourcePath must start with "/"',
    ),
    (
        "resourcePath-trailing-slash",
        "rest_pi",
        {"spec.rest.resourcePath": "/orders/"},
        'spec.rest.resourcePath: Invalid value: "/orders/"',
    ),
    (
        "resourcePath-required",
        "rest_pi",
        {"spec.rest.resourcePath": DELETE},
        "spec.rest.resourcePath: Required value",
    ),
    (
        "httpMethod-enum",
        "rest_pi",
        {"spec.rest.httpMethod": "FETCH"},
        'spec.rest.httpMethod: Unsupported value: "FETCH"',
    ),
    (
        "authorizationType-enum",
        "rest_pi",
        {"spec.rest.authorizationType": "JWT"},
        'spec.rest.authorizationType: Unsupported value: "JWT"',
    ),
    (
        "integrationHttpMethod-enum",
        "rest_pi",
        {"spec.rest.integrationHttpMethod": "FETCH"},
        'spec.rest.integrationHttpMethod: Unsupported value: "FETCH"',
    ),
    (
        "uri-scheme",
        "rest_pi",
        {"spec.rest.uri": "ftp://orders.internal.example.com/orders"},
        'spec.rest.uri: Invalid value: "ftp://orders.internal.example.com/orders": '
        "spec.rest.uri must be an http:// or https:// URL",
    ),
    ("uri-required", "rest_pi", {"spec.rest.uri": DELETE}, "spec.rest.uri: Required value"),
    (
        "connectionIdFrom-enum",
        "rest_pi",
        {"spec.rest.connectionIdFrom": "Literal"},
        'spec.rest.connectionIdFrom: Unsupported value: "Literal"',
    ),
    (
        "stageVariable-required",
        "rest_pi",
        {"spec.rest.stageVariable": DELETE},
        (
            "spec.rest.stageVariable: Required value: "
            "spec.rest.stageVariable is required when connectionIdFrom is StageVariable"
        ),
    ),
    (
        "stages-required",
        "rest_pi",
        {"spec.rest.stages": DELETE},
        (
            "spec.rest.stages: Required value: "
            "spec.rest.stages must list at least one stage when connectionIdFrom is StageVariable"
        ),
    ),
    (
        "stages-not-empty",
        "rest_pi",
        {"spec.rest.stages": []},
        "spec.rest.stages: Required value: spec.rest.stages must list at least one stage",
    ),
    (
        "stageVariable-pattern",
        "rest_pi",
        {"spec.rest.stageVariable": "vpc-link-id"},
        'spec.rest.stageVariable: Invalid value: "vpc-link-id"',
    ),
    (
        "stageVariable-only-with-StageVariable",
        "rest_pi",
        {"spec.rest.connectionIdFrom": "Direct"},
        (
            "spec.rest.stageVariable: Forbidden: "
            "spec.rest.stageVariable is only valid when connectionIdFrom is StageVariable"
        ),
    ),
    (
        "stage-name-pattern",
        "rest_pi",
        {"spec.rest.stages": ["te st"]},
        'spec.rest.stages[0]: Invalid value: "te st"',
    ),
    (
        "deployOnChange-bool",
        "rest_pi",
        {"spec.rest.deployOnChange": "yes"},
        (
            'spec.rest.deployOnChange: Invalid value: "string": '
            "spec.rest.deployOnChange in body must be of type boolean"
        ),
    ),
    # -- issue 9: bad input that used to reach AWS ------------------------------------------------
    (
        "http-name-over-128",
        "http_link",
        {"spec.name": "n" * 129},
        "spec.name must be at most 128 characters when apiType is HTTP (REST links allow 255)",
    ),
    (
        "tag-key-operator-prefix",
        "http_link",
        {"spec.tags": {"vpclink.dev/owner-uid": "someone-else"}},
        'spec.tags: Invalid value: spec.tags keys must not start with "vpclink.dev/"',
    ),
    (
        "tag-key-charset",
        "http_link",
        {"spec.tags": {"team#1": "shop"}},
        "spec.tags: Invalid value: spec.tags keys may contain only letters, digits, spaces and _ . : / = + - @",
    ),
    (
        "tag-value-charset",
        "http_link",
        {"spec.tags": {"team": "shop;drop"}},
        "spec.tags: Invalid value: spec.tags values may contain only letters, digits, spaces and _ . : / = + - @",
    ),
    (
        "routeKey-empty-segment",
        "http_pi",
        {"spec.http.routeKeys": ["GET /orders//items"]},
        'spec.http.routeKeys[0]: Invalid value: "GET /orders//items": spec.http.routeKeys entries must be',
    ),
    (
        "routeKey-greedy-not-last",
        "http_pi",
        {"spec.http.routeKeys": ["ANY /{proxy+}/x"]},
        'spec.http.routeKeys[0]: Invalid value: "ANY /{proxy+}/x"',
    ),
    (
        "routeKey-trailing-slash",
        "http_pi",
        {"spec.http.routeKeys": ["GET /orders/"]},
        'spec.http.routeKeys[0]: Invalid value: "GET /orders/"',
    ),
    (
        "routeKey-no-path",
        "http_pi",
        {"spec.http.routeKeys": ["GET "]},
        'spec.http.routeKeys[0]: Invalid value: "GET "',
    ),
    (
        "pi-deletionPolicy-enum",
        "rest_pi",
        {"spec.deletionPolicy": "Orphan"},
        'spec.deletionPolicy: Unsupported value: "Orphan"',
    ),
    (
        "pi-unknown-spec-field",
        "rest_pi",
        {"spec.rest.connectionType": "VPC_LINK"},
        'unknown field "spec.rest.connectionType"',
    ),
]


@pytest.mark.parametrize("case", REJECTED, ids=[case[0] for case in REJECTED])
def test_invalid_object_is_rejected_naming_the_field(kubectl, crds, namespace, case) -> None:
    _, base, changes, expected = case
    proc = apply(kubectl, namespace, build(base, changes))
    assert proc.returncode != 0, f"accepted: {changes}"
    assert expected in proc.stderr


def test_defaults_are_applied(kubectl, crds, namespace) -> None:
    link = json.loads(
        kubectl(
            "apply",
            "-n",
            namespace,
            "--dry-run=server",
            "-o",
            "json",
            "-f",
            "-",
            input=json.dumps(build("http_link")),
        ).stdout
    )
    assert link["spec"]["deletionPolicy"] == "Delete"
    assert "name" not in link["spec"]  # "<namespace>-<name>" is the operator's default, not the schema's

    http = json.loads(
        kubectl(
            "apply",
            "-n",
            namespace,
            "--dry-run=server",
            "-o",
            "json",
            "-f",
            "-",
            input=json.dumps(build("http_pi")),
        ).stdout
    )["spec"]["http"]
    assert (http["integrationMethod"], http["payloadFormatVersion"]) == ("ANY", "1.0")

    rest = json.loads(
        kubectl(
            "apply",
            "-n",
            namespace,
            "--dry-run=server",
            "-o",
            "json",
            "-f",
            "-",
            input=json.dumps(
                build("rest_pi", {"spec.rest.connectionIdFrom": DELETE, "spec.rest.stageVariable": DELETE})
            ),
        ).stdout
    )["spec"]["rest"]
    assert (rest["authorizationType"], rest["connectionIdFrom"], rest["deployOnChange"]) == (
        "NONE",
        "Direct",
        True,
    )


def test_new_route_key_shapes_that_api_gateway_accepts_are_admitted(kubectl, crds, namespace) -> None:
    keys = ["$default", "GET /", "ANY /{proxy+}", "GET /orders/{id}", "POST /pets/{petId}/toys", "ANY /api/{proxy+}"]
    proc = apply(kubectl, namespace, build("http_pi", {"spec.http.routeKeys": keys}))
    assert proc.returncode == 0, proc.stderr


def test_privateintegration_adopt_and_deletion_policy_default(kubectl, crds, namespace) -> None:
    spec = json.loads(kubectl("apply", "-n", namespace, "--dry-run=server", "-o", "json", "-f", "-",
                              input=json.dumps(build("rest_pi"))).stdout)["spec"]
    assert (spec["adopt"], spec["deletionPolicy"]) == (False, "Delete")


# ------------------------------------------------------------------------------ update transitions


def test_vpclink_apitype_is_immutable_but_mutable_fields_update(kubectl, crds, namespace) -> None:
    assert apply(kubectl, namespace, build("http_link"), dry_run=False).returncode == 0

    to_rest = build(
        "http_link",
        {
            "spec.apiType": "REST",
            "spec.subnetIds": DELETE,
            "spec.securityGroupIds": DELETE,
            "spec.targetArns": [NLB_ARN],
        },
    )
    fresh = copy.deepcopy(to_rest)
    fresh["metadata"]["name"] = "fresh"
    assert apply(kubectl, namespace, fresh).returncode == 0  # valid as a new object: only the update is wrong
    proc = apply(kubectl, namespace, to_rest)
    assert proc.returncode != 0
    assert 'spec.apiType: Invalid value: "REST": spec.apiType is immutable' in proc.stderr

    renamed = build("http_link", {"spec.name": "renamed", "spec.tags": {"team": "payments"}})
    proc = apply(kubectl, namespace, renamed)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"spec.http.apiId": "z9y8x7w6v5"},
            'spec.http.apiId: Invalid value: "z9y8x7w6v5": spec.http.apiId is immutable',
        ),
        (
            {"spec.http": DELETE, "spec.rest": BASES["rest_pi"]["spec"]["rest"]},
            "spec.http and spec.rest cannot be swapped: the API kind is immutable",
        ),
    ],
    ids=["apiId", "http-to-rest"],
)
def test_privateintegration_http_identity_is_immutable(kubectl, crds, namespace, changes, expected) -> None:
    assert apply(kubectl, namespace, build("http_pi"), dry_run=False).returncode == 0
    proc = apply(kubectl, namespace, build("http_pi", changes))
    assert proc.returncode != 0
    assert expected in proc.stderr


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"spec.rest.restApiId": "z9y8x7w6v5"}, "spec.rest.restApiId is immutable"),
        ({"spec.rest.resourcePath": "/orders/{id}"}, "spec.rest.resourcePath is immutable"),
        ({"spec.rest.httpMethod": "ANY"}, "spec.rest.httpMethod is immutable"),
        (
            {"spec.rest": DELETE, "spec.http": BASES["http_pi"]["spec"]["http"]},
            "spec.http and spec.rest cannot be swapped: the API kind is immutable",
        ),
    ],
    ids=["restApiId", "resourcePath", "httpMethod", "rest-to-http"],
)
def test_privateintegration_rest_identity_is_immutable(kubectl, crds, namespace, changes, expected) -> None:
    assert apply(kubectl, namespace, build("rest_pi"), dry_run=False).returncode == 0
    proc = apply(kubectl, namespace, build("rest_pi", changes))
    assert proc.returncode != 0
    assert expected in proc.stderr


def test_privateintegration_mutable_fields_update(kubectl, crds, namespace) -> None:
    assert apply(kubectl, namespace, build("rest_pi"), dry_run=False).returncode == 0
    changed = build(
        "rest_pi",
        {
            "spec.vpcLinkRef": DELETE,
            "spec.vpcLinkId": "asf9d7",
            "spec.rest.connectionIdFrom": "Direct",
            "spec.rest.stageVariable": DELETE,
            "spec.rest.timeoutInMillis": 10000,
            "spec.rest.stages": ["test", "prod"],
        },
    )
    proc = apply(kubectl, namespace, changed)
    assert proc.returncode == 0, proc.stderr


# ------------------------------------------------------------------------------------------ status


def test_vpclink_status_holds_the_design_fields_and_feeds_the_printer_columns(
    kubectl, crds, namespace
) -> None:
    assert apply(kubectl, namespace, build("http_link"), dry_run=False).returncode == 0
    status = {
        "observedGeneration": 1,
        "vpcLinkId": "gim7c3",
        "vpcLinkStatus": "AVAILABLE",
        "vpcLinkVersion": "V2",
        "statusMessage": "Your VPC link is ready to route traffic",
        "replacement": {"vpcLinkId": "k9x2p1", "vpcLinkStatus": "PENDING", "reason": "subnetIds changed"},
        "retiredVpcLinkIds": ["asf9d7"],
        "managedTagKeys": ["team", "vpclink.dev/owner-uid"],
        "usedBy": [{"name": "shop/orders-api", "connectionId": "gim7c3"}, {"name": "shop/new"}],
        "usedByCount": 2,
        "conditions": [
            condition(),
            condition("Reconciling", "True", "Replacing"),
            condition("Stalled", "False", "Progressing"),
        ],
    }
    patch_status(kubectl, namespace, "vl", "http-link", status)
    assert kubectl.json("get", "-n", namespace, "vl", "http-link")["status"] == status

    [row] = table(kubectl("get", "-n", namespace, "vl", "http-link").stdout)
    assert row.pop("AGE")
    assert row == {
        "NAME": "http-link",
        "TYPE": "HTTP",
        "VERSION": "V2",
        "LINK ID": "gim7c3",
        "AWS STATUS": "AVAILABLE",
        "USED BY": "2",
        "READY": "True",
        "REASON": "Available",
    }


def test_privateintegration_status_holds_its_fields_and_feeds_the_printer_columns(
    kubectl, crds, namespace
) -> None:
    assert apply(kubectl, namespace, build("rest_pi"), dry_run=False).returncode == 0
    status = {
        "observedGeneration": 1,
        "apiType": "REST",
        "integrationId": "skpp60rab7/GET",
        "connectionId": "gim7c3",
        "resourceId": "skpp60rab7",
        "createdMethod": True,
        "lastDeploymentId": "a1b2c3",
        "deployedStages": ["test"],
        "routeIds": {"ANY /x": "abc123"},
        "conditions": [condition(reason="Integrated")],
    }
    patch_status(kubectl, namespace, "pi", "rest-pi", status)
    assert kubectl.json("get", "-n", namespace, "pi", "rest-pi")["status"] == status

    [row] = table(kubectl("get", "-n", namespace, "pi", "rest-pi").stdout)
    assert row.pop("AGE")
    assert row == {
        "NAME": "rest-pi",
        "TYPE": "REST",
        "API": "6j4m3244we",
        "INTEGRATION ID": "skpp60rab7/GET",
        "LINK": "gim7c3",
        "READY": "True",
        "REASON": "Integrated",
    }


def test_http_privateintegration_api_column_shows_the_http_api_id(kubectl, crds, namespace) -> None:
    assert apply(kubectl, namespace, build("http_pi"), dry_run=False).returncode == 0
    [row] = table(kubectl("get", "-n", namespace, "pi", "http-pi").stdout)
    assert row["API"] == "a1b2c3d4e5"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ({"vpcLinkStatus": "UPDATING"}, 'status.vpcLinkStatus: Unsupported value: "UPDATING"'),
        (
            {"replacement": {"vpcLinkStatus": "READY"}},
            'status.replacement.vpcLinkStatus: Unsupported value: "READY"',
        ),
        (
            {"conditions": [{"type": "Ready", "status": "True"}]},
            "status.conditions[0].reason: Required value",
        ),
        (
            {"conditions": [{**condition(), "status": "Yes"}]},
            'status.conditions[0].status: Unsupported value: "Yes"',
        ),
        (
            {"conditions": [{**condition(), "reason": "not camel case"}]},
            'status.conditions[0].reason: Invalid value: "not camel case"',
        ),
        (
            {"conditions": [{**condition(), "lastTransitionTime": "yesterday"}]},
            'status.conditions[0].lastTransitionTime: Invalid value: "yesterday"',
        ),
        (
            {"conditions": [condition(), condition()]},
            'status.conditions[1]: Duplicate value: {"type":"Ready"}',
        ),
    ],
    ids=[
        "vpcLinkStatus",
        "replacement-status",
        "condition-required",
        "condition-status",
        "condition-reason",
        "condition-time",
        "condition-type-unique",
    ],
)
def test_vpclink_status_is_validated(kubectl, crds, namespace, status, expected) -> None:
    assert apply(kubectl, namespace, build("http_link"), dry_run=False).returncode == 0
    proc = patch_status(kubectl, namespace, "vl", "http-link", status, check=False)
    assert proc.returncode != 0
    assert expected in proc.stderr


def test_unknown_status_fields_are_not_kept(kubectl, crds, namespace) -> None:
    assert apply(kubectl, namespace, build("rest_pi"), dry_run=False).returncode == 0
    proc = patch_status(kubectl, namespace, "pi", "rest-pi", {"phase": "Ready", "connectionId": "gim7c3"})
    assert 'unknown field "status.phase"' in proc.stderr
    assert kubectl.json("get", "-n", namespace, "pi", "rest-pi")["status"] == {"connectionId": "gim7c3"}


# ------------------------------------------------------------------------------- CRD presentation


@pytest.mark.parametrize("crd", [VPCLINK_CRD, PI_CRD])
def test_crd_is_structural_described_and_closed(kubectl, crds, crd: str) -> None:
    served = kubectl.json("get", "crd", crd)
    assert served["spec"]["scope"] == "Namespaced"
    [version] = served["spec"]["versions"]
    assert (version["name"], version["served"], version["storage"]) == ("v1alpha1", True, True)
    assert version["subresources"] == {"status": {}}
    conditions = {c["type"]: c["status"] for c in served["status"]["conditions"]}
    assert conditions.get("NonStructuralSchema", "False") == "False"
    schema = version["schema"]["openAPIV3Schema"]
    undescribed = [
        path
        for path, sub in walk_schema(schema)
        if path != ".metadata" and not sub.get("description", "").strip()
    ]
    assert undescribed == []
    preserving = [path for path, sub in walk_schema(schema) if "x-kubernetes-preserve-unknown-fields" in sub]
    assert preserving == []
    assert "x-kubernetes-preserve-unknown-fields" not in (REPO / "crds" / f"{crd}.yaml").read_text()
    assert schema["properties"]["status"]["properties"], "status must be fully specified"


@pytest.mark.parametrize(
    ("crd", "columns"),
    [
        (
            VPCLINK_CRD,
            [
                ("Type", ".spec.apiType"),
                ("Version", ".status.vpcLinkVersion"),
                ("Link ID", ".status.vpcLinkId"),
                ("AWS Status", ".status.vpcLinkStatus"),
                ("Used By", ".status.usedByCount"),
                ("Ready", '.status.conditions[?(@.type=="Ready")].status'),
                ("Reason", '.status.conditions[?(@.type=="Ready")].reason'),
                ("Age", ".metadata.creationTimestamp"),
            ],
        ),
        (
            PI_CRD,
            [
                ("Type", ".status.apiType"),
                ("API", ".spec.*['apiId','restApiId']"),
                ("Integration ID", ".status.integrationId"),
                ("Link", ".status.connectionId"),
                ("Ready", '.status.conditions[?(@.type=="Ready")].status'),
                ("Reason", '.status.conditions[?(@.type=="Ready")].reason'),
                ("Age", ".metadata.creationTimestamp"),
            ],
        ),
    ],
    ids=["VpcLink", "PrivateIntegration"],
)
def test_printer_columns(kubectl, crds, crd: str, columns: list[tuple[str, str]]) -> None:
    [version] = kubectl.json("get", "crd", crd)["spec"]["versions"]
    default_columns = [
        (c["name"], c["jsonPath"]) for c in version["additionalPrinterColumns"] if c.get("priority", 0) == 0
    ]
    assert default_columns == columns


def test_short_names_and_category(kubectl, crds, namespace) -> None:
    assert apply(kubectl, namespace, build("http_link"), dry_run=False).returncode == 0
    assert apply(kubectl, namespace, build("http_pi"), dry_run=False).returncode == 0
    assert kubectl("get", "-n", namespace, "vl", "-o", "name").stdout.split() == [
        f"vpclink.{GROUP}/http-link"
    ]
    assert kubectl("get", "-n", namespace, "pi", "-o", "name").stdout.split() == [
        f"privateintegration.{GROUP}/http-pi"
    ]
    assert sorted(kubectl("get", "-n", namespace, "apigw", "-o", "name").stdout.split()) == [
        f"privateintegration.{GROUP}/http-pi",
        f"vpclink.{GROUP}/http-link",
    ]


@pytest.mark.parametrize(
    ("field", "expected"),
    [
        ("vpclink.spec.subnetIds", "HTTP only, required (1 to 10)"),
        ("vl.spec.apiType", "Immutable"),
        ("vl.spec.apiType", "HTTP: a VPC link V2 (apigatewayv2, a link into subnets and security groups) that "
                            "serves both HTTP APIs and REST APIs"),
        ("privateintegration.spec.rest.connectionIdFrom", "${stageVariables.<stageVariable>}"),
        ("pi.status.connectionId", "The VPC link id the integration uses now"),
    ],
)
def test_kubectl_explain_shows_descriptions(kubectl, crds, field: str, expected: str) -> None:
    out = kubectl("explain", field).stdout
    assert "DESCRIPTION:" in out
    assert expected in " ".join(out.split())


def test_kubectl_explain_spec_lists_every_design_field(kubectl, crds) -> None:
    out = kubectl("explain", "vpclink.spec").stdout
    for field in (
        "apiType",
        "name",
        "region",
        "subnetIds",
        "securityGroupIds",
        "targetArns",
        "description",
        "tags",
        "deletionPolicy",
        "vpcLinkId",
        "allowedNamespaces",
    ):
        assert f"\n  {field}\t" in out, field
