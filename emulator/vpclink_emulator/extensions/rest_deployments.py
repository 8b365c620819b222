"""REST API deployments are snapshots, re-deploying a stage keeps its variables, a new stage keeps its description.

Stock moto replaces an existing stage on create-deployment, dropping its variables; AWS re-points
it and sets only the variables given (seed 001 redeploys a stage that has vpcLinkId). A deployment
freezes the integrations as they are: later edits reach a stage only when it is deployed again.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from moto.apigateway.models import APIGatewayBackend, Deployment, RestAPI, Stage
from moto.apigateway.responses import APIGatewayResponse

from ..monkeypatch import Response, original, patch

_STAGE_VARIABLE = re.compile(r"^\$\{stageVariables\.(?P<name>[A-Za-z0-9_]+)\}$")


def create_deployment(self: RestAPI, name: str, description: str, stage_variables: Any = None) -> Deployment:
    existing: Stage | None = self.stages.get(name) if name else None
    deployment: Deployment = original(RestAPI, "create_deployment")(self, name, description, stage_variables)
    if existing is not None:
        existing.deployment_id = deployment.id
        existing.variables.update(stage_variables or {})
        self.stages[name] = existing
    deployment._emulator_snapshot = {  # type: ignore[attr-defined]
        (resource.get_path(), http_method): copy.deepcopy(method.method_integration.to_json())
        for resource in self.resources.values()
        for http_method, method in resource.resource_methods.items()
        if method.method_integration is not None
    }
    return deployment


def create_deployment_response(self: APIGatewayResponse) -> Response:
    """moto drops stageDescription; AWS gives it to the stage that the deployment creates."""
    api = self.backend.get_rest_api(self.path.replace("/restapis/", "", 1).split("/")[0])
    name, description = self._get_param("stageName"), self._get_param("stageDescription")
    creates_stage = bool(name) and name not in api.stages
    response: Response = original(APIGatewayResponse, "create_deployment")(self)
    if creates_stage and description:
        api.stages[name].description = description
    return response


def deployed_integrations(api: RestAPI, stage: Stage) -> dict[tuple[str, str], dict[str, Any]]:
    """What `stage` serves, by (path, method): the deployed snapshot with stage variables resolved."""
    deployment = api.deployments.get(stage.deployment_id or "")
    served: dict[tuple[str, str], dict[str, Any]] = {}
    for key, integration in getattr(deployment, "_emulator_snapshot", {}).items():
        resolved = dict(integration)
        variable = _STAGE_VARIABLE.match(resolved.get("connectionId") or "")
        if variable:
            resolved["connectionId"] = stage.variables.get(variable["name"], "")
        served[key] = resolved
    return served


def deployed_references(backend: APIGatewayBackend, link_id: str) -> list[str]:
    """Stages whose deployed integrations route through `link_id`, as RESTApiId:Method:Resource:Stage."""
    return [
        f"{api.id}:{method}:{path}:{stage.name}"
        for api in backend.apis.values()
        for stage in api.stages.values()
        for (path, method), integration in deployed_integrations(api, stage).items()
        if integration.get("connectionType") == "VPC_LINK" and integration.get("connectionId") == link_id
    ]


def referenced_in_message(link_id: str, references: list[str]) -> str:
    """AWS's refusal to delete a link that deployed REST API stages still use."""
    return (
        f"Cannot delete vpc link. Vpc link '{link_id}', is referenced in "
        f"[{', '.join(references)}] in format of [RESTApiId:Method:Resource:Stage]."
    )


def install() -> None:
    patch(RestAPI, "create_deployment")(create_deployment)
    patch(APIGatewayResponse, "create_deployment")(create_deployment_response)
