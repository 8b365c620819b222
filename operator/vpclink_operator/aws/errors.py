"""Classify AWS errors: not found, retryable (throttling, 5xx, transient conflicts), or terminal."""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError, ConnectionError, EndpointConnectionError


class AwsError(Exception):
    def __init__(self, operation: str, code: str, message: str) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.operation = operation
        self.code = code
        self.message = message


class AwsNotFound(AwsError):
    """The resource does not exist. On delete this is success."""


class AwsRetryable(AwsError):
    """Throttling, 5xx, transient conflicts: retry with backoff."""

    def __init__(self, operation: str, code: str, message: str, *, throttled: bool = False) -> None:
        super().__init__(operation, code, message)
        self.throttled = throttled


class AwsInUse(AwsError):
    """AWS refuses a delete because something still references the resource ("is referenced in")."""


class AwsTerminal(AwsError):
    """Validation, access denied, quota: retrying the same request cannot help."""


class RateLimited(Exception):
    """The call waits in line for its quota: its place is held, and its turn comes in `delay` seconds."""

    def __init__(self, operation: str, delay: float) -> None:
        super().__init__(f"{operation} is rate-limited by API Gateway's quota; this object's turn in line comes "
                         f"in {delay:.1f}s")
        self.operation = operation
        self.delay = delay


_THROTTLING = {"TooManyRequestsException", "ThrottlingException", "Throttling", "RequestLimitExceeded",
               "ThrottledException", "SlowDown"}
_NOT_FOUND_SUFFIXES = ("NotFoundException", "NotFound", ".NotFound", "NotFoundFault")


def classify(operation: str, exc: Exception) -> AwsError:
    if isinstance(exc, EndpointConnectionError | ConnectionError):
        return AwsRetryable(operation, "ConnectionError", str(exc))
    if isinstance(exc, BotoCoreError):
        return AwsRetryable(operation, type(exc).__name__, str(exc))
    if not isinstance(exc, ClientError):
        raise exc
    error = exc.response.get("Error", {})
    code = str(error.get("Code", "Unknown"))
    message = str(error.get("Message", "") or exc)
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if code == "LimitExceededException":  # a resource quota (answered with 429), not throttling
        return AwsTerminal(operation, code, message)
    if code in _THROTTLING or status == 429:
        return AwsRetryable(operation, code, message, throttled=True)
    if status >= 500:
        return AwsRetryable(operation, code, message)
    if code == "ConflictException" and "concurrent modification" in message:
        return AwsRetryable(operation, code, message)
    if "is referenced in" in message or "referenced by the following" in message:
        return AwsInUse(operation, code, message)
    if code.endswith(_NOT_FOUND_SUFFIXES) or status == 404:
        return AwsNotFound(operation, code, message)
    return AwsTerminal(operation, code, message)
