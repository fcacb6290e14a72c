"""`manage.py api_types [--out PATH]`: the API's TypeScript types, generated from its OpenAPI
schema (drf-spectacular) by the frontend's pinned `openapi-typescript`, into
frontend/src/api/schema.d.ts. `make api-types` runs it; tests/frontend/test_api_types.py fails
when the committed file is not what this generates (a serializer changed without it)."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

FRONTEND = Path(settings.BASE_DIR) / "frontend"
TYPES = FRONTEND / "src" / "api" / "schema.d.ts"


class Command(BaseCommand):
    help = "Generate the frontend's API types from the OpenAPI schema."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", type=Path, default=TYPES)

    def handle(self, *args: Any, **opts: Any) -> None:
        generator = FRONTEND / "node_modules" / ".bin" / "openapi-typescript"
        if not generator.exists():
            raise CommandError("run `npm ci` in frontend/ first (it pins openapi-typescript)")
        with tempfile.TemporaryDirectory() as tmp:
            schema = Path(tmp) / "schema.json"
            call_command("spectacular", format="openapi-json", file=str(schema))
            proc = subprocess.run(
                [str(generator), str(schema), "-o", str(opts["out"])],
                cwd=FRONTEND,
                capture_output=True,
                text=True,
                timeout=120,
                check=False,
            )
        if proc.returncode != 0:
            raise CommandError(f"openapi-typescript failed: {proc.stderr[-2000:]}")
        self.stdout.write(f"API types written to {opts['out']}")
