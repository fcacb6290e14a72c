"""The API's only request parser: JSON, bounded in size and nesting before it is decoded.

DRF's JSONParser reads the whole stream (Django's DATA_UPLOAD_MAX_MEMORY_SIZE guards only
`request.body`, which DRF bypasses) and hands it to the recursive `json` decoder, so a body nested
a thousand deep ends in a RecursionError: a 500 and a traceback for one anonymous request.
"""

import re

from django.conf import settings
from rest_framework import status
from rest_framework.exceptions import APIException, ParseError
from rest_framework.parsers import JSONParser, get_encoding
from rest_framework.utils import json  # strict_constant: NaN and Infinity are not JSON

# A string (escapes included) or a bracket. Strings are matched whole so brackets inside them do
# not count; everything else (numbers, literals, commas) cannot nest and is skipped.
_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


class RequestTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


def json_depth(raw: bytes) -> int:
    """The deepest nesting of arrays and objects in `raw` (0 for a scalar)."""
    depth = deepest = 0
    for token in _TOKENS.finditer(raw):
        char = token.group()[:1]
        if char in (b"[", b"{"):
            depth += 1
            deepest = max(deepest, depth)
        elif char in (b"]", b"}"):
            depth -= 1
    return deepest


class BoundedJSONParser(JSONParser):
    """JSON refused with 413 above API_JSON_MAX_BYTES and with 400 when nested deeper than
    API_JSON_MAX_DEPTH; both are checked on the raw bytes, so nothing recursive ever runs on
    input over the bounds."""

    def parse(self, stream, media_type=None, parser_context=None):
        limit = settings.API_JSON_MAX_BYTES
        request = (parser_context or {}).get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if declared and declared.isdigit() and int(declared) > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes.")  # not read at all
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise RequestTooLarge(f"The request body exceeds {limit} bytes.")
        max_depth = settings.API_JSON_MAX_DEPTH
        if json_depth(raw) > max_depth:
            raise ParseError(f"JSON parse error - nested deeper than {max_depth} levels.")
        encoding = get_encoding(parser_context or {})
        try:
            text = raw.decode(encoding)
            parse_constant = json.strict_constant if self.strict else None
            return json.loads(text, parse_constant=parse_constant)
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            raise ParseError(f"JSON parse error - {exc}") from exc
