"""`kubectl vpclink`: what a VpcLink serves, and why an object is not Ready.

    kubectl vpclink tree NAME [-n NS]              the link, its replacement and retired links, and
                                                   every PrivateIntegration using it
    kubectl vpclink why NAME [-n NS] [--kind pi]   conditions, last Events, the likely fix

Installed as the `kubectl-vpclink` console script by the `kubectl` extra; it reads the cluster with
the `kubernetes` client and the same kubeconfig kubectl uses. It never writes.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import urllib3

from vpclink_operator import API_GROUP, API_VERSION

# The likely fix per reason (Stalled, and the waits people ask about), from the troubleshooting guide
# (docs/operations.md, after seed 003).
FIXES: Mapping[str, str] = {
    "Failed": "AWS could not build the link; status.statusMessage quotes why. 'NLB is already associated with "
              "another VPC Endpoint Service' means one REST link per NLB: point spec.targetArns at another NLB. "
              "Fix the spec and the operator replaces the link.",
    "ReplacementFailed": "The new link FAILED (see the message); the old link still serves. Fix the field that "
                         "triggered the replacement; the operator tries again.",
    "Inactive": "No traffic for 60 days: AWS deprovisioned the link and the first requests fail until it is "
                "reprovisioned. Send traffic through the API, or change an immutable field to get a new link.",
    "PreflightFailed": "Nothing was created. Fix the field the message names (a subnet in an unsupported "
                       "Availability Zone, a missing security group or NLB).",
    "AwsRejected": "AWS refused the call; its text is in the message. AccessDenied: compare the action with "
                   "docs/iam-policy.json and the role on the operator's ServiceAccount. LimitExceeded: a quota.",
    "InvalidSpec": "The spec cannot work; fix the field named in the message.",
    "AdoptionChanged": "spec.vpcLinkId cannot switch to another link; create a new VpcLink for it.",
    "AdoptedLinkDiffers": "An adopted link is never replaced: make the spec match the link, or drop "
                          "spec.vpcLinkId to let the operator create (and own) a new one.",
    "VpcLinkNotFound": "No link with that id in the Region: check spec.vpcLinkId and spec.region.",
    "NamespaceNotAllowed": "Add this namespace to the VpcLink's spec.allowedNamespaces, or use a link in this "
                           "namespace.",
    "ApiTypeMismatch": "Use spec.http with an HTTP link and spec.rest with a REST link.",
    "ApiNotFound": "Check spec.http.apiId / spec.rest.restApiId and the Region.",
    "ResourceNotFound": "Create the resource (spec.rest.resourcePath) in the REST API first.",
    "StageNotFound": "Create the stage(s) in spec.rest.stages, or let the operator deploy them (deployOnChange).",
    "RouteConflict": "A route with that key exists and is not ours: delete it, or drop it from spec.http.routeKeys.",
    "Pending": "AWS is provisioning the link (REST 2-4 min, HTTP up to ~10). Longer: check the NLB is active and "
               "has healthy targets; an NLB without healthy targets can keep a link PENDING.",
    "WaitingForVpcLink": "The referenced VpcLink is not AVAILABLE yet: `kubectl vpclink why` on the link.",
    "WaitingForReferences": "AWS still sees a reference (for example a deployed stage) to what is being deleted; "
                            "the message names it. Redeploy or remove that reference.",
}
SERVING_HINTS = ("If requests fail while Ready: 502 - the link reaches the load balancer but the backend does not "
                 "answer (target health, security groups of the link and the backend, TLS name); 504 - the "
                 "backend must answer within the integration timeout (29 s REST, 30 s HTTP); names do not "
                 "resolve - enable DNS resolution and hostnames in the VPC.")
KINDS = {"vl": "vpclinks", "vpclink": "vpclinks", "pi": "privateintegrations",
         "privateintegration": "privateintegrations"}


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from kubernetes import client, config
    from kubernetes.client.exceptions import ApiException

    configuration = client.Configuration()
    try:
        config.load_kube_config(context=args.context, client_configuration=configuration)
        contexts, active = config.list_kube_config_contexts()
        active = next((c for c in contexts if c["name"] == args.context), active) if args.context else active
    except config.ConfigException as exc:
        print(f"kubectl-vpclink: {exc}", file=sys.stderr)
        return 1
    # The kubeconfig loader stores a token under "authorization", but this client's auth_settings() only
    # sends "BearerToken": without this the requests go out anonymous.
    if "authorization" in configuration.api_key:
        configuration.api_key.setdefault("BearerToken", configuration.api_key["authorization"])
    if not configuration.verify_ssl:  # insecure-skip-tls-verify: the user chose it; kubectl does not nag either
        warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    api = client.ApiClient(configuration)
    namespace = args.namespace or active.get("context", {}).get("namespace") or "default"
    cluster = Cluster(client.CustomObjectsApi(api), client.CoreV1Api(api), namespace)
    try:
        plural, name = target(args.kind if args.command == "why" else "vl", args.name)
        if args.command == "tree" and plural != "vpclinks":
            raise ValueError("tree shows a VpcLink: `kubectl vpclink tree NAME`")
    except ValueError as exc:
        print(f"kubectl-vpclink: {exc}", file=sys.stderr)
        return 1
    try:
        lines = tree(cluster, name) if args.command == "tree" else why(cluster, plural, name)
    except ApiException as exc:
        print(f"kubectl-vpclink: {exc.status} {exc.reason}: {plural} {namespace}/{name}", file=sys.stderr)
        return 1
    print("\n".join(lines))
    return 0


def target(kind: str, name: str) -> tuple[str, str]:
    """The plural and name of `NAME`, or of kubectl's `KIND/NAME` (`vl/orders`, `pi/orders-get`)."""
    prefix, slash, bare = name.partition("/")
    if not slash:
        return KINDS[kind], name
    if prefix.lower() not in KINDS:
        raise ValueError(f"unknown kind {prefix!r} in {name!r}: use one of {', '.join(sorted(KINDS))}")
    return KINDS[prefix.lower()], bare


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kubectl vpclink", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    _add_cluster_flags(parser, None)
    # The same flags after the subcommand (`kubectl vpclink tree NAME -n NS`), only set when given there.
    flags = _add_cluster_flags(argparse.ArgumentParser(add_help=False), argparse.SUPPRESS)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("tree", parents=[flags], help="a VpcLink and everything that uses it").add_argument("name")
    why_parser = sub.add_parser("why", parents=[flags], help="why an object is (not) Ready, and the likely fix")
    why_parser.add_argument("name")
    why_parser.add_argument("--kind", choices=sorted(KINDS), default="vl")
    return parser


def _add_cluster_flags(parser: argparse.ArgumentParser, default: str | None) -> argparse.ArgumentParser:
    parser.add_argument("-n", "--namespace", default=default, help="default: the kubeconfig context's namespace")
    parser.add_argument("--context", default=default, help="kubeconfig context (default: the current one)")
    return parser


class Cluster:
    """The reads the plugin makes; nothing else touches the API."""

    def __init__(self, custom: Any, core: Any, namespace: str) -> None:
        self.custom, self.core, self.namespace = custom, core, namespace

    def get(self, plural: str, name: str) -> dict[str, Any]:
        return dict(self.custom.get_namespaced_custom_object(API_GROUP, API_VERSION, self.namespace, plural, name))

    def integrations(self) -> list[dict[str, Any]]:
        """Every PrivateIntegration the caller may list: cluster-wide if allowed, else this namespace."""
        from kubernetes.client.exceptions import ApiException

        try:
            found = self.custom.list_cluster_custom_object(API_GROUP, API_VERSION, "privateintegrations")
        except ApiException as exc:
            if exc.status != 403:
                raise
            found = self.custom.list_namespaced_custom_object(API_GROUP, API_VERSION, self.namespace,
                                                              "privateintegrations")
        return list(found.get("items", []))

    def events(self, name: str, kind: str) -> list[Any]:
        selector = f"involvedObject.name={name},involvedObject.kind={kind}"
        items = self.core.list_namespaced_event(self.namespace, field_selector=selector).items
        return sorted(items, key=lambda e: str(e.event_time or e.last_timestamp or e.first_timestamp or ""))


def tree(cluster: Cluster, name: str) -> list[str]:
    link = cluster.get("vpclinks", name)
    spec, status = link.get("spec", {}), link.get("status", {})
    lines = [f"VpcLink {cluster.namespace}/{name} ({spec.get('apiType')}) {_conditions(status)}",
             f"├── link {status.get('vpcLinkId') or '(none yet)'} {status.get('vpcLinkStatus') or ''}  serving"
             + (f"  {status['statusMessage']}" if status.get("statusMessage") else "")]
    replacement = status.get("replacement")
    if replacement:
        lines.append(f"├── link {replacement.get('vpcLinkId')} {replacement.get('vpcLinkStatus')}  replacement "
                     f"({replacement.get('reason')})")
    lines += [f"├── link {retired}  retired, being deleted" for retired in status.get("retiredVpcLinkIds") or []]
    users = [pi for pi in cluster.integrations() if _uses(pi, cluster.namespace, name)]
    lines.append(f"└── PrivateIntegrations ({len(users)})")
    for index, pi in enumerate(sorted(users, key=lambda p: (p["metadata"]["namespace"], p["metadata"]["name"]))):
        last = index == len(users) - 1
        pi_status, pi_spec = pi.get("status", {}), pi.get("spec", {})
        api = (pi_spec.get("http") or {}).get("apiId") or (pi_spec.get("rest") or {}).get("restApiId")
        stages = ", ".join(pi_status.get("deployedStages") or (pi_spec.get("rest") or {}).get("stages") or []) or "-"
        lines.append(f"    {'└──' if last else '├──'} {pi['metadata']['namespace']}/{pi['metadata']['name']}  "
                     f"api {api}  integration {pi_status.get('integrationId') or '-'}  "
                     f"via {pi_status.get('connectionId') or '-'}  stages {stages}  {_conditions(pi_status)}")
    return lines


def why(cluster: Cluster, plural: str, name: str) -> list[str]:
    obj = cluster.get(plural, name)
    kind = obj.get("kind", plural)
    status = obj.get("status", {})
    lines = [f"{kind} {cluster.namespace}/{name}  generation {obj['metadata'].get('generation')}, "
             f"observed {status.get('observedGeneration', '-')}", "", "Conditions:"]
    conditions = status.get("conditions") or []
    for cond in sorted(conditions, key=lambda c: str(c.get("lastTransitionTime", ""))):
        lines.append(f"  {cond.get('lastTransitionTime', '-'):20}  {cond.get('type'):11} {cond.get('status'):5}  "
                     f"{cond.get('reason')}: {cond.get('message') or ''}".rstrip())
    if not conditions:
        lines.append("  none yet: is the operator running and watching this namespace?")
    lines += ["", "Last events:"]
    events = cluster.events(name, kind)[-10:]
    for event in events:
        when = event.event_time or event.last_timestamp or event.first_timestamp
        lines.append(f"  {str(when)[:19]:20}  {event.type:7}  {event.reason}: {event.message}")
    if not events:
        lines.append("  none")
    lines += ["", "Likely fix:", f"  {_fix(conditions)}"]
    return lines


def _fix(conditions: Sequence[Mapping[str, Any]]) -> str:
    by_type = {c.get("type"): c for c in conditions}
    for kind in ("Stalled", "Reconciling"):
        cond = by_type.get(kind, {})
        if cond.get("status") == "True":
            return FIXES.get(str(cond.get("reason")), f"{kind} ({cond.get('reason')}): see the message above.")
    if by_type.get("Ready", {}).get("status") == "True":
        return f"Nothing to fix: Ready. {SERVING_HINTS}"
    return "No condition says why; check the operator's logs for this object."


def _uses(pi: Mapping[str, Any], namespace: str, name: str) -> bool:
    ref = pi.get("spec", {}).get("vpcLinkRef") or {}
    return bool(ref.get("name") == name and (ref.get("namespace") or pi["metadata"]["namespace"]) == namespace)


def _conditions(status: Mapping[str, Any]) -> str:
    true = [c for c in status.get("conditions") or [] if c.get("status") == "True"]
    return "[" + ", ".join(f"{c['type']}: {c.get('reason')}" for c in true) + "]" if true else "[no conditions]"


if __name__ == "__main__":
    sys.exit(main())
