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
