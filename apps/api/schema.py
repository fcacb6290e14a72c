"""drf-spectacular postprocessing hook: the error answers DRF gives, documented on every operation
that can give them, so a client (and the fuzz test, tests/ops/test_api_fuzz.py) knows them.

DRF's errors are `{"detail": "..."}` or, for invalid input, `{"field": ["message", ...]}`.
"""

ERROR_SCHEMA = {
    "type": "object",
    "description": '`{"detail": "..."}`, or for invalid input `{"<field>": ["<message>", ...]}`',
    "additionalProperties": {},
}


def _error(description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def document_error_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            wanted = {}
            # Any authenticator may refuse a bad credential, even on views open to everyone.
            if operation.get("security") != [{}]:
                wanted["403"] = "Not authenticated, bad credentials, or not allowed"
            if operation.get("parameters") or "requestBody" in operation:
                wanted["400"] = "Invalid input: the field and what is wrong with it"
            if "requestBody" in operation:
                wanted["413"] = "The JSON body exceeds API_JSON_MAX_BYTES"
                wanted["415"] = "The body is not application/json"
            for code, description in wanted.items():
                responses.setdefault(code, _error(description))
    return result


def integer_formats_drop(result, generator, request, public):
    """drf-spectacular takes an integer's format (int32 / int64) from the database vendor's
    field ranges, so the same field was int64 on SQLite and int32 on PostgreSQL: the schema, and
    the frontend types generated from it, must not depend on which database serves them."""

    def walk(node):
        if isinstance(node, dict):
            if node.get("type") == "integer" and node.get("format") in ("int32", "int64"):
                del node["format"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(result)
    return result
