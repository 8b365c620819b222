"""The behaviours real API Gateway has and stock moto lacks, one module per concern.

Each module holds plain functions and an `install()` that puts them in place of moto's
(`..monkeypatch.patch`); `..install.install_extensions()` installs them all, once per process.

REST APIs (apigateway v1): `rest_links` (one NLB per link, lifecycle, rename, "is referenced in"
refusals), `rest_link_tags`, `rest_integrations` (connectionId, defaults, validated updates),
`rest_deployments` (deployments are snapshots; redeploying keeps stage variables),
`rest_resources` and `rest_paging` (limit/position). HTTP APIs (apigatewayv2): `http_links`
(lifecycle, quota, refusals), `http_integrations` (VPC_LINK validation, quota, route refusals),
`http_paging` (MaxResults/NextToken), `http_errors`. Load balancers: `nlb_arns`.
"""

from __future__ import annotations

from types import ModuleType

from . import (
    http_integrations,
    http_links,
    nlb_arns,
    rest_deployments,
    rest_integrations,
    rest_link_tags,
    rest_links,
    rest_resources,
)

ALL: tuple[ModuleType, ...] = (
    nlb_arns,
    rest_links,
    rest_link_tags,
    rest_integrations,
    rest_deployments,
    rest_resources,
    http_links,
    http_integrations,
)
