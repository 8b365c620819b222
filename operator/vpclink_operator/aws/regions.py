"""The AWS Regions botocore knows API Gateway in, so a misspelt Region is refused instead of retried."""

from __future__ import annotations

from functools import cache

import botocore.session


@cache
def known_regions() -> frozenset[str]:
    session = botocore.session.get_session()
    return frozenset(region for partition in session.get_available_partitions()
                     for service in ("apigateway", "apigatewayv2")
                     for region in session.get_available_regions(service, partition))
