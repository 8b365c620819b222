"""AWS error responses rendered in each protocol's wire shape, so botocore classifies them.

The middleware (quotas, faults) answers some requests itself, before moto sees them. The
error must then look exactly like the service's own errors: botocore reads the code from
`x-amzn-ErrorType`/`__type` for JSON protocols and from the XML body for query protocols,
and only a correctly parsed code (e.g. TooManyRequestsException) is treated as throttling.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from xml.sax.saxutils import escape

# botocore service name -> wire protocol
PROTOCOLS = {
    "apigateway": "rest-json",
    "apigatewayv2": "rest-json",
    "servicediscovery": "json",
    "elbv2": "query",
    "sts": "query",
    "ec2": "ec2",
}

# What each service calls "slow down". API Gateway's is the one the quotas and storms target.
THROTTLE_CODES = {
    "apigateway": ("TooManyRequestsException", 429),
    "apigatewayv2": ("TooManyRequestsException", 429),
    "servicediscovery": ("ThrottlingException", 400),
    "elbv2": ("Throttling", 400),
    "sts": ("Throttling", 400),
    "ec2": ("RequestLimitExceeded", 503),
}


@dataclass(frozen=True)
class AwsError:
    code: str
    message: str
    status: int


def throttling_error(service: str, message: str = "Too Many Requests") -> AwsError:
    code, status = THROTTLE_CODES.get(service, ("TooManyRequestsException", 429))
    return AwsError(code, message, status)


def render(service: str, error: AwsError) -> tuple[int, list[tuple[str, str]], bytes]:
    request_id = str(uuid.uuid4())
    protocol = PROTOCOLS.get(service, "rest-json")
    if protocol in ("rest-json", "json"):
        body = json.dumps({"__type": error.code, "message": error.message}).encode()
        headers = [
            ("Content-Type", "application/json" if protocol == "rest-json" else "application/x-amz-json-1.1"),
            ("x-amzn-ErrorType", error.code),
            ("x-amzn-RequestId", request_id),
        ]
    elif protocol == "ec2":
        body = (
            f"<?xml version='1.0' encoding='UTF-8'?><Response><Errors><Error><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message></Error></Errors>"
            f"<RequestID>{request_id}</RequestID></Response>"
        ).encode()
        headers = [("Content-Type", "text/xml")]
    else:
        body = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{escape(error.code)}</Code>"
            f"<Message>{escape(error.message)}</Message></Error>"
            f"<RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
        headers = [("Content-Type", "text/xml"), ("x-amzn-RequestId", request_id)]
    headers.append(("Content-Length", str(len(body))))
    return error.status, headers, body
