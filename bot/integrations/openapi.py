"""OpenAPI request bodies for endpoints that read the raw body themselves (size limit, signatures)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def request_body(model: type[BaseModel]) -> dict[str, Any]:
    """`openapi_extra` documenting `model` as the JSON body, its nested models written inline.

    Pydantic refers to nested models as `#/$defs/...`, which points nowhere once the schema sits inside
    the OpenAPI document; our payload models are not recursive, so inlining them is always possible.
    """
    schema = model.model_json_schema(mode="validation")
    defs = schema.pop("$defs", {})
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": _inline(schema, defs)}}}
    }


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            return _inline(defs[ref.removeprefix("#/$defs/")], defs)
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(item, defs) for item in node]
    return node
