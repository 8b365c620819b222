"""`make demo`: a real control plane, the AWS emulator, the operator, and examples/ applied.

The emulator is seeded with the VPC, subnets, security group, load balancers, Cloud Map service
and APIs that the examples name; the examples' placeholder ids are swapped for the seeded ones.
Links take realistic times, scaled down 15x (a REST link is PENDING for ~3 emulated minutes,
12 s of wall time). Prints `kubectl get vl,pi -A` whenever it changes, until Ctrl-C.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import boto3

import controlplane
import stack

REPO = Path(__file__).resolve().parent.parent
WORKDIR = REPO / ".demo"
TIME_SCALE = 15


def seed_aws(endpoint: str) -> dict[str, str]:
    """Create what the examples refer to; return {placeholder in examples/: real id}."""
    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint,
                            aws_access_key_id="demo", aws_secret_access_key="demo")

    swaps: dict[str, str] = {}
    # Seed 000 / 002 (us-east-2): subnets in supported zones, a security group, an ALB listener,
    # a Cloud Map service and an HTTP API.
    ec2, elbv2 = client("ec2", "us-east-2"), client("elbv2", "us-east-2")
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24", AvailabilityZone=zone)["Subnet"]["SubnetId"]
               for i, zone in enumerate(["us-east-2a", "us-east-2b"])]
    swaps["subnet-0a1b2c3d4e5f60718"], swaps["subnet-0b2c3d4e5f6071829"] = subnets
    swaps["sg-0c3d4e5f607182930"] = ec2.create_security_group(GroupName="orders", Description="demo",
                                                              VpcId=vpc)["GroupId"]
    alb = elbv2.create_load_balancer(Name="my-load-balancer", Subnets=subnets, Scheme="internal",
                                     Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    listener = elbv2.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])["Listeners"][0]["ListenerArn"]
    swaps["arn:aws:elasticloadbalancing:us-east-2:123456789012:listener/app/my-load-balancer/"
          "50dc6c495c0c9188/0467ef3c8400ae65"] = listener
    cloudmap = client("servicediscovery", "us-east-2")
    operation = cloudmap.create_private_dns_namespace(Name="internal.example.com", Vpc=vpc)["OperationId"]
    namespace_id = cloudmap.get_operation(OperationId=operation)["Operation"]["Targets"]["NAMESPACE"]
    service = cloudmap.create_service(Name="orders", NamespaceId=namespace_id)["Service"]["Arn"]
    swaps["arn:aws:servicediscovery:us-east-2:123456789012:service/srv-e4anhexample0004"] = service
    swaps["a1b2c3d4e5"] = client("apigatewayv2", "us-east-2").create_api(Name="shop", ProtocolType="HTTP")["ApiId"]

    # Seed 001 (us-east-1): an NLB and a REST API with /orders.
    ec2, elbv2 = client("ec2", "us-east-1"), client("elbv2", "us-east-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.0.0/24", AvailabilityZone="us-east-1a")["Subnet"]["SubnetId"]
    nlb = elbv2.create_load_balancer(Name="my-vpclink-test-nlb", Subnets=[subnet], Scheme="internal",
                                     Type="network")["LoadBalancers"][0]["LoadBalancerArn"]
    swaps["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/net/my-vpclink-test-nlb/"
          "1f8df693cd094a72"] = nlb
    rest = client("apigateway", "us-east-1")
    api = rest.create_rest_api(name="My VPC Link Test")["id"]
    root = next(r["id"] for r in rest.get_resources(restApiId=api)["items"] if r["path"] == "/")
    rest.create_resource(restApiId=api, parentId=root, pathPart="orders")
    rest.create_resource(restApiId=api, parentId=root, pathPart="catalog")
    swaps["6j4m3244we"] = api

    # Examples 003/004 (us-east-1): a VPC link V2 for the REST API, and an ALB whose security group
    # admits the link's on port 80.
    second = ec2.create_subnet(VpcId=vpc, CidrBlock="10.1.1.0/24", AvailabilityZone="us-east-1b")["Subnet"]["SubnetId"]
    swaps["subnet-0e1f2a3b4c5d60718"], swaps["subnet-0f1a2b3c4d5e6071a"] = subnet, second
    link_group = ec2.create_security_group(GroupName="orders-v2", Description="demo", VpcId=vpc)["GroupId"]
    swaps["sg-0e4f5a6b7c8d90a1b"] = link_group
    alb_group = ec2.create_security_group(GroupName="orders-alb", Description="demo", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=alb_group, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "UserIdGroupPairs": [{"GroupId": link_group}]}])
    alb = elbv2.create_load_balancer(Name="orders-alb", Subnets=[subnet, second], SecurityGroups=[alb_group],
                                     Scheme="internal", Type="application")["LoadBalancers"][0]["LoadBalancerArn"]
    elbv2.create_listener(LoadBalancerArn=alb, Protocol="HTTP", Port=80, DefaultActions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}])
    swaps["arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/orders-alb/6f1e2d3c4b5a6978"] = alb
    return swaps


def main() -> int:
    WORKDIR.mkdir(exist_ok=True)
    plane = controlplane.ControlPlane(WORKDIR / "controlplane")
    children: list[stack.EmulatorProcess | stack.OperatorProcess] = []
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        plane.start()
        logs = plane.workdir / "logs"
        print(f"kube-apiserver: {plane.server}  (export KUBECONFIG={plane.kubeconfig})", flush=True)
        emulator = stack.EmulatorProcess(logs / "emulator.log", pending_seconds=180, deleting_seconds=30,
                                         time_scale=TIME_SCALE).start()
        children.append(emulator)
        print(f"AWS emulator:   {emulator.url}  (aws --endpoint-url {emulator.url} ...)", flush=True)
        swaps = seed_aws(emulator.url)

        kubectl = [str(controlplane.bin_path("kubectl")), "--kubeconfig", str(plane.kubeconfig)]
        subprocess.run([*kubectl, "apply", "-f", str(REPO / "crds")], check=True)
        subprocess.run([*kubectl, "wait", "--for=condition=Established", "crd", "--all", "--timeout=60s"], check=True)
        env = {**os.environ, **stack.aws_env(emulator.url), "KUBECONFIG": str(plane.kubeconfig)}
        operator = stack.OperatorProcess(env, logs / "operator.log", "--log-format", "plain",
                                         "--rate-limit-scale", str(TIME_SCALE), "--poll-seconds", "1").start()
        children.append(operator)
        print(f"operator logs:  {operator.log}", flush=True)
        for example in sorted((REPO / "examples").glob("*.yaml")):
            manifest = example.read_text()
            for placeholder, real in swaps.items():
                manifest = manifest.replace(placeholder, real)
            subprocess.run([*kubectl, "apply", "-f", "-"], input=manifest, text=True, check=False)

        shown = ""
        while True:
            out = subprocess.run([*kubectl, "get", "vl,pi", "-A"], capture_output=True, text=True, check=False).stdout
            without_age = "\n".join(line.rsplit(None, 1)[0] for line in out.splitlines() if line.strip())
            if without_age != shown:
                print(f"\n--- {time.strftime('%H:%M:%S')}\n{out}", end="", flush=True)
                shown = without_age
            for child in children:
                if child.proc is not None and child.proc.poll() is not None:
                    print(f"{child.proc.args[0]} exited with {child.proc.returncode}", file=sys.stderr)
                    return 1
            time.sleep(2)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        for child in reversed(children):
            child.stop()
        plane.stop()


if __name__ == "__main__":
    sys.exit(main())
