"""The processes around the operator, shared by the tests, `make demo` and the benchmarks.

`EmulatorProcess` runs `python -m vpclink_emulator`; `OperatorProcess` runs the real
`vpclink-operator` console script. Both are started and stopped by pid, nothing else.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import controlplane


def aws_env(endpoint: str, region: str = "us-east-1") -> dict[str, str]:
    """The only knobs that point the operator at the emulator: the standard AWS variables."""
    return {"AWS_ENDPOINT_URL": endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": region, "AWS_DEFAULT_REGION": region}


class EmulatorProcess:
    def __init__(self, log: Path, *, pending_seconds: float, deleting_seconds: float, time_scale: float,
                 quotas: bool = False) -> None:
        self.log = log
        self.options = ["--link-pending-seconds", str(pending_seconds), "--link-deleting-seconds",
                        str(deleting_seconds), "--time-scale", str(time_scale), *(["--quotas"] if quotas else [])]
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.control: Any = None

    def start(self, timeout: float = 30) -> EmulatorProcess:
        from vpclink_emulator import EmulatorControl

        port = controlplane.free_port()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "vpclink_emulator", "--host", "127.0.0.1", "--port", str(port), *self.options],
            stdout=self.log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{port}"
        self.control = EmulatorControl(self.url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.control.health():
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"emulator did not start:\n{self.log.read_text()}")
            time.sleep(0.1)

    def stop(self) -> None:
        _stop(self.proc)

    def __enter__(self) -> EmulatorProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class OperatorProcess:
    """The real `vpclink-operator` console script, or `command` (the benchmarks run another venv's Python)."""

    def __init__(self, env: dict[str, str], log: Path, *args: str, command: Sequence[str] = ()) -> None:
        self.env, self.log, self.args = env, log, args
        self.command = list(command) or [str(Path(sys.executable).with_name("vpclink-operator"))]
        self.proc: subprocess.Popen[bytes] | None = None
        self.port = 0

    def start(self) -> OperatorProcess:
        self.port = controlplane.free_port()
        self.proc = subprocess.Popen(
            [*self.command, "--port", str(self.port), *self.args],
            env=self.env, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, start_new_session=True,
        )
        return self

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        _stop(self.proc)

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def _stop(proc: subprocess.Popen[bytes] | None, timeout: float = 20) -> None:
    if proc is not None and proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
