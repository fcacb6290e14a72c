"""The OpenAPI schema (/api/schema/) generates for every endpoint without a warning or an
error, exactly as `manage.py spectacular --validate --fail-on-warn` checks it."""

from __future__ import annotations

import yaml
from django.core.management import call_command


def test_it_generates_a_valid_schema_without_warnings(tmp_path):
    out = tmp_path / "schema.yml"
    # Raises (SchemaGenerationError or a validation error) on any warning or error.
    call_command("spectacular", validate=True, fail_on_warn=True, file=str(out))
    schema = yaml.safe_load(out.read_text())
    assert "/api/rl/calibrations/" in schema["paths"]
    params = {p["name"] for p in schema["paths"]["/api/trading/orders/"]["get"]["parameters"]}
    assert {"symbol", "side", "status", "limit"} <= params
