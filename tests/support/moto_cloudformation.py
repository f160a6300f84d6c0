"""What moto's CloudFormation lacks for template.yaml: ``AWS::Lambda::Url``.

moto 5 skips resource types it has no model for, and then fails the stack on any
``!GetAtt`` of one (template.yaml's outputs read ``MockIdPFunctionUrl.FunctionUrl``).
Importing this module (moto's server does, ``tests/support/moto_server.py``) adds a
model that makes the URL through moto's own Lambda backend (``CreateFunctionUrlConfig``),
so ``mockidp deploy`` against moto creates the whole stack: table, role, function,
permissions, log group and URL. Nothing here is invoked: moto does not run the function.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.awslambda.models import lambda_backends
from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel


class FunctionUrl(CloudFormationModel):
    """``AWS::Lambda::Url``: a function's URL config in moto's Lambda backend."""

    def __init__(self, function: str, url: str, account_id: str, region: str) -> None:
        self.function = function
        self.url = url
        self.account_id = account_id
        self.region = region

    @staticmethod
    def cloudformation_name_type() -> str:
        return ""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Url"

    @property
    def physical_resource_id(self) -> str:
        return self.function

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("FunctionUrl", "FunctionArn")

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name == "FunctionUrl":
            return self.url
        return self.function

    @classmethod
    def create_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> FunctionUrl:
        properties = cloudformation_json["Properties"]
        function = str(properties["TargetFunctionArn"])
        backend = lambda_backends[account_id][region_name]
        config = backend.create_function_url_config(
            function, {"AuthType": properties.get("AuthType", "NONE")}
        )
        return cls(function, config.url + "/", account_id, region_name)

    @classmethod
    def delete_from_cloudformation_json(  # type: ignore[override]
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        function = str(cloudformation_json["Properties"]["TargetFunctionArn"])
        backend = lambda_backends[account_id][region_name]
        with contextlib.suppress(Exception):  # the function went first, and its URL with it
            backend.delete_function_url_config(function)


parsing.get_model_map.cache_clear()
parsing.get_name_type_map.cache_clear()
