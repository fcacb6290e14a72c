"""The frontend's API types are generated from the API's OpenAPI schema (`make api-types`): the
committed frontend/src/api/schema.d.ts must be what the serializers generate now, so a changed
serializer without regenerated types fails here (and `tsc` then checks the pages against it)."""

from django.core.management import call_command

from tests.frontend.frontend_support import FRONTEND, ensure_node_modules

COMMITTED = FRONTEND / "src" / "api" / "schema.d.ts"


def test_the_committed_api_types_are_what_the_schema_generates(tmp_path):
    ensure_node_modules()
    fresh = tmp_path / "schema.d.ts"
    call_command("api_types", out=fresh)
    assert fresh.read_text() == COMMITTED.read_text(), (
        "frontend/src/api/schema.d.ts is stale: run `make api-types` and commit it"
    )
