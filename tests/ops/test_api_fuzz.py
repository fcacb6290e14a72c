"""Schemathesis over /api/schema/: every operation, valid and invalid requests, as a staff user
(who may use every endpoint), against the Django WSGI app in this process. A 5xx, a status code
the schema does not document, or a body that breaks its documented schema fails the test.

Side effects are real and allowed: desk changes and flattens write rows, training and evolution
runs are committed and their tasks published to this run's Redis, where no worker consumes them
(`broker_messages` empties the queues afterwards). One operation is left out: GET /api/live/, a
server-sent event stream that stays open for as long as the client reads (each generated case
waited out a keepalive), tested over real HTTP in tests/trading/test_live_feed.py.
"""

from __future__ import annotations

import os
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)


@schemathesis.check
def no_server_error_but_the_health_verdict(ctx, response, case):
    """Any 5xx is a bug, except the 503 by which /api/health/ reports a part of the stack down
    (here: the workers, beat and the venue, none of which this test runs); that one is
    documented, so the status code and schema checks still judge it."""
    if case.operation.path == "/api/health/" and response.status_code == 503:
        return None
    return not_a_server_error(ctx, response, case)


CHECKS = [
    no_server_error_but_the_health_verdict,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Cases per operation and mode: operations that take input get the most; the whole run stays
# near a minute and a half on a 2-core box. QUANTUM_FUZZ_EXAMPLES=500 digs deeper by hand.
EXAMPLES_WITH_INPUT = int(os.environ.get("QUANTUM_FUZZ_EXAMPLES", "40"))
EXAMPLES_WITHOUT_INPUT = 10
STREAMING = "/api/live/"  # see the module's docstring


@pytest.fixture
def staff_token(transactional_db, broker_messages, redis_client) -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user("fuzz", password="a-long-password-1", is_staff=True)
    return Token.objects.create(user=user).key


@pytest.fixture
def api_schema(staff_token, settings):
    # The health check asks workers over the broker and waits this long; none run here.
    settings.OPS_INSPECT_TIMEOUT_SECONDS = 0.2
    from quantum_project.wsgi import application

    return schemathesis.openapi.from_wsgi(
        "/api/schema/?format=json", application, headers={"Authorization": f"Token {staff_token}"}
    )


def _fuzz(operation, mode: GenerationMode, token: str, cases: list, examples: int) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,  # no .hypothesis/ directory in the work tree
        derandomize=True,  # the same cases on every run: a failure reproduces
        phases=[Phase.explicit, Phase.generate],  # no shrinking: the first failing case is shown
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        cases.append(case)
        case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)

    run()


def test_it_answers_every_generated_request_as_documented(api_schema, staff_token):
    cases: list = []
    failures: list[str] = []
    operations = [
        op
        for op in (result.ok() for result in api_schema.get_all_operations())
        if op.path != STREAMING
    ]
    assert len(operations) >= 25, [op.label for op in operations]
    started = time.monotonic()
    for operation in operations:
        # Security schemes count as header/cookie parameters; only real inputs can be negated.
        has_input = bool(operation.body or operation.query or operation.path_parameters)
        modes = [GenerationMode.POSITIVE] + ([GenerationMode.NEGATIVE] if has_input else [])
        for mode in modes:
            before, clock = len(cases), time.monotonic()
            try:
                examples = EXAMPLES_WITH_INPUT if has_input else EXAMPLES_WITHOUT_INPUT
                _fuzz(operation, mode, staff_token, cases, examples)
            except Exception as exc:  # noqa: BLE001 - every operation's failure is reported
                failures.append(f"{operation.label} ({mode.value}): {exc}")
            print(
                f"  {operation.label} ({mode.value}): {len(cases) - before} cases, "
                f"{time.monotonic() - clock:.1f} s"
            )
    print(
        f"schemathesis: {len(operations)} operations, {len(cases)} cases in "
        f"{time.monotonic() - started:.0f} s"
    )
    assert not failures, "\n\n".join(failures)
