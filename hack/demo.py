"""`make demo`: a real control plane, the AWS endpoint, the operator, and examples/ applied.

Prints `kubectl get vl,pi` whenever it changes, until Ctrl-C stops everything.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import controlplane

REPO = Path(__file__).resolve().parent.parent
WORKDIR = REPO / ".demo"


def start_aws_endpoint(logs: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = controlplane.free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "--host", "127.0.0.1", "--port", str(port)],
        stdout=(logs / "aws.log").open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
    )
    return proc, f"http://127.0.0.1:{port}"


def main() -> int:
    WORKDIR.mkdir(exist_ok=True)
    plane = controlplane.ControlPlane(WORKDIR / "controlplane")
    children: list[subprocess.Popen[bytes]] = []
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        plane.start()
        print(f"kube-apiserver: {plane.server}  (export KUBECONFIG={plane.kubeconfig})", flush=True)
        aws, endpoint = start_aws_endpoint(plane.workdir / "logs")
        children.append(aws)
        print(f"AWS endpoint:   {endpoint}", flush=True)

        kubectl = [str(controlplane.bin_path("kubectl")), "--kubeconfig", str(plane.kubeconfig)]
        subprocess.run([*kubectl, "apply", "-f", str(REPO / "crds")], check=True)
        subprocess.run([*kubectl, "wait", "--for=condition=Established", "crd", "--all",
                        "--timeout=60s"], check=True)

        env = {**os.environ, "KUBECONFIG": str(plane.kubeconfig), "AWS_ENDPOINT_URL": endpoint,
               "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo", "AWS_REGION": "us-east-2"}
        operator_log = (plane.workdir / "logs" / "operator.log").open("wb")
        children.append(subprocess.Popen(
            [str(Path(sys.executable).with_name("vpclink-operator")), "--log-format", "plain",
             "--port", str(controlplane.free_port())],
            env=env, stdout=operator_log, stderr=subprocess.STDOUT, start_new_session=True,
        ))
        print(f"operator logs:  {operator_log.name}", flush=True)
        subprocess.run([*kubectl, "apply", "-f", str(REPO / "examples")], check=False)

        shown = ""
        while True:
            out = subprocess.run([*kubectl, "get", "vl,pi", "-A"], capture_output=True, text=True,
                                 check=False).stdout
            if out != shown:
                print(f"\n--- {time.strftime('%H:%M:%S')}\n{out}", end="", flush=True)
                shown = out
            for child in children:
                if child.poll() is not None:
                    print(f"{child.args[0]} exited with {child.returncode}", file=sys.stderr)
                    return 1
            time.sleep(2)
    except KeyboardInterrupt:
        print("\nstopping…", flush=True)
        return 0
    finally:
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    child.kill()
        plane.stop()


if __name__ == "__main__":
    sys.exit(main())
