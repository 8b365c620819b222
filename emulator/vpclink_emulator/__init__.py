"""vpclink_emulator: moto, plus the API Gateway behaviours real AWS has and stock moto lacks.

Run it
------
In-process (pytest)::

    from vpclink_emulator import EmulatorServer

    with EmulatorServer(link_pending_seconds=2, time_scale=20) as emulator:
        os.environ["AWS_ENDPOINT_URL"] = emulator.url     # plus dummy AWS credentials
        emulator.control.set_link_state(link_id, "FAILED", "NLB is gone")

As a process (demo, aws CLI, the operator under test)::

    python -m vpclink_emulator --host 127.0.0.1 --port 4566 \\
        [--link-pending-seconds S] [--link-deleting-seconds S] [--time-scale X] [--quotas]

It serves apigateway, apigatewayv2, ec2, elbv2, servicediscovery and sts (all of moto, in
fact) on one endpoint. One emulator per process: moto's backends are process-global.

Time
----
Durations (`link_pending_seconds`, `link_deleting_seconds`, quota windows) are emulated AWS
seconds. `time_scale` is emulated seconds per wall second: pending 120 at scale 60 is two
real seconds, and quota buckets refill 60 times faster, so every ratio holds. Fault
`duration`s are wall-clock seconds.

Control API (HTTP under /_emulator/, see `vpclink_emulator.control_server`) and its client
-------------------------------------------------------------------------------------
`EmulatorControl(base_url)`: `health()`, `reset()`, `config()`,
`configure(link_pending_seconds=, link_deleting_seconds=, time_scale=, quotas=)`,
`advance_time(seconds)` (emulated seconds),
`set_link_state(link_id, state, message=None)` (PENDING | AVAILABLE | FAILED | INACTIVE),
`stage_integrations(rest_api_id, stage)` (what a REST stage serves, stage variables resolved),
`inject_fault(kind, percent=100, duration=None, count=None, operations=None, services=None,
latency_ms=0, status=500, seed=None)` (kind: throttle | conflict | server_error | latency),
`faults()`, `clear_faults()`, `calls(operation=None, service=None, since=None)`, `reset_calls()`.

Call-log record: `{"seq", "time" (Unix s), "duration_ms", "service" (botocore name),
"operation" (botocore operation name, e.g. "CreateVpcLink"), "readonly" (Get/List/Describe),
"account", "region", "method", "path", "status", "error_code"}`.

Behaviours added on top of moto (each pinned by a contract test in tests/contract/)
-------------------------------------------------------------------------------------
Link lifecycle PENDING -> AVAILABLE/FAILED, DELETING -> gone (`lifecycle`); rate quotas
(`quotas`); fault injection (`faults`); the call log (`calllog`). Everything that changes moto's
own behaviour lives in `extensions/`, one module per concern (see its docstring): REST link
rules, tags, integrations with connectionId and updates, deployment snapshots, "is referenced
in" delete refusals, limit/position pagination with embed=methods (`rest_*`); HTTP integration
validation, delete refusals, quotas and MaxResults/NextToken pagination (`http_*`); NLB ARNs
(`nlb_arns`); REST integrations through a VPC link V2 (integrationTarget required, kept with
responseTransferMode; V2 links held by deployed REST stages), with the doubts about what AWS
does listed in `extensions/rest_integrations.py` and `extensions/http_links.py`. `monkeypatch` is
the mechanism they share; `install` installs them all.
"""

from .control_client import ControlError, EmulatorControl
from .server import EmulatorServer

__all__ = ["ControlError", "EmulatorControl", "EmulatorServer"]
