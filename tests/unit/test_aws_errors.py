"""AWS error classification, on real botocore ClientError objects."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from vpclink_operator.aws.errors import AwsError, AwsInUse, AwsNotFound, AwsRetryable, AwsTerminal, classify


def client_error(code: str, message: str, status: int, operation: str = "DeleteVpcLink") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message},
                        "ResponseMetadata": {"HTTPStatusCode": status}}, operation)


@pytest.mark.parametrize(("code", "status"), [
    ("TooManyRequestsException", 429),
    ("ThrottlingException", 400),
    ("Throttling", 400),
    ("RequestLimitExceeded", 503),
])
def test_throttling_is_retryable_and_marked_throttled(code: str, status: int) -> None:
    err = classify("CreateVpcLink", client_error(code, "Too Many Requests", status))

    assert isinstance(err, AwsRetryable)
    assert err.throttled is True


@pytest.mark.parametrize(("code", "status"), [("InternalServerError", 500), ("ServiceUnavailableException", 503),
                                              ("BadGateway", 502)])
def test_server_errors_are_retryable_not_throttled(code: str, status: int) -> None:
    err = classify("GetVpcLinks", client_error(code, "try again", status))

    assert isinstance(err, AwsRetryable)
    assert err.throttled is False


def test_concurrent_modification_conflict_is_retryable() -> None:
    err = classify("UpdateVpcLink", client_error(
        "ConflictException", "Unable to complete operation due to concurrent modification. Please try again later.",
        409))

    assert isinstance(err, AwsRetryable)


def test_other_conflicts_are_terminal() -> None:
    assert isinstance(classify("CreateVpcLink", client_error("ConflictException", "already exists", 409)),
                      AwsTerminal)


@pytest.mark.parametrize("code", ["BadRequestException", "ConflictException"])
def test_is_referenced_in_is_in_use(code: str) -> None:
    message = ("Cannot delete vpc link. Vpc link 'abc123', is referenced in [6j4m3244we:GET:/orders:test] "
               "in format of [RESTApiId:Method:Resource:Stage].")
    err = classify("DeleteVpcLink", client_error(code, message, 400 if code == "BadRequestException" else 409))

    assert isinstance(err, AwsInUse)
    assert err.message == message


@pytest.mark.parametrize(("code", "status"), [("NotFoundException", 404), ("InvalidSubnetID.NotFound", 400),
                                              ("LoadBalancerNotFound", 400)])
def test_not_found(code: str, status: int) -> None:
    assert isinstance(classify("GetVpcLink", client_error(code, "Invalid VPC link identifier", status)), AwsNotFound)


@pytest.mark.parametrize(("code", "status"), [
    ("AccessDeniedException", 403),
    ("UnauthorizedException", 401),
    ("BadRequestException", 400),
    ("LimitExceededException", 400),
    # botocore models apigateway's LimitExceededException with HTTP 429 (the emulator does the same);
    # it is a quota on resources, not a rate: the issue says it must become Stalled, not be retried.
    ("LimitExceededException", 429),
])
def test_access_validation_and_quota_errors_are_terminal(code: str, status: int) -> None:
    message = "The maximum number of VPC links for HTTP APIs (10) has been reached in this region."
    err = classify("CreateVpcLink", client_error(code, message, status))

    assert isinstance(err, AwsTerminal)
    assert (err.operation, err.code, err.message) == ("CreateVpcLink", code, message)


def test_classified_error_keeps_operation_code_and_aws_text() -> None:
    err = classify("DeleteVpcLink", client_error("NotFoundException", "Invalid Vpc link identifier specified", 404))

    assert isinstance(err, AwsError)
    assert str(err) == "DeleteVpcLink: NotFoundException: Invalid Vpc link identifier specified"


def test_connection_errors_are_retryable() -> None:
    err = classify("GetVpcLinks", EndpointConnectionError(endpoint_url="http://127.0.0.1:1"))

    assert isinstance(err, AwsRetryable)
    assert err.throttled is False


def test_non_aws_exceptions_are_not_swallowed() -> None:
    with pytest.raises(KeyError):
        classify("GetVpcLinks", KeyError("bug"))
