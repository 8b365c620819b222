"""apigatewayv2 errors stock moto does not define."""

from __future__ import annotations

from moto.apigatewayv2.exceptions import APIGatewayV2Error


class ConflictException(APIGatewayV2Error):
    code = 409

    def __init__(self, message: str) -> None:
        super().__init__("ConflictException", message)


class LimitExceededException(APIGatewayV2Error):
    code = 429  # the status apigateway v1 models for the same error

    def __init__(self, message: str) -> None:
        super().__init__("LimitExceededException", message)
