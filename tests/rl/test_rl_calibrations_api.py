"""GET /api/rl/calibrations/: the calibrator's history, newest first, each run with what it
changed (parameter -> [before, after, why]) and the parameters before and after."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from apps.rl.models import CalibrationRun

pytestmark = pytest.mark.django_db

URL = "/api/rl/calibrations/"


def _run(eps_before: float, eps_after: float, n: int) -> CalibrationRun:
    before = {"epsilon": eps_before, "reward_clip": 1.0}
    after = {"epsilon": eps_after, "reward_clip": 1.0}
    changes = {"epsilon": [eps_before, eps_after, f"0.3/sqrt(1+{n}/20)"]}
    return CalibrationRun.objects.create(
        rewards_used=n, before=before, after=after, changes=changes
    )


def test_it_lists_calibrations_newest_first_with_what_changed_and_why(api):
    first = _run(0.3, 0.2, 40)
    second = _run(0.2, 0.1, 160)
    response = api.get(URL)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["count"] == 2
    assert [r["id"] for r in body["results"]] == [second.id, first.id]
    newest = body["results"][0]
    assert newest["rewards_used"] == 160
    assert newest["before"] == {"epsilon": 0.2, "reward_clip": 1.0}
    assert newest["after"] == {"epsilon": 0.1, "reward_clip": 1.0}
    assert newest["changes"] == {"epsilon": [0.2, 0.1, "0.3/sqrt(1+160/20)"]}
    assert newest["created_at"]


def test_it_limits_the_rows_but_counts_them_all(api):
    for i in range(3):
        _run(0.3, 0.3 - 0.05 * (i + 1), 20 * (i + 1))
    body = api.get(f"{URL}?limit=1").json()
    assert body["count"] == 3 and len(body["results"]) == 1


def test_it_answers_an_empty_history(api):
    assert api.get(URL).json() == {"count": 0, "results": []}


def test_it_refuses_a_bad_limit_naming_the_field(api):
    response = api.get(f"{URL}?limit=9999")
    assert response.status_code == 400
    assert "limit" in response.json()


def test_it_refuses_anonymous_callers():
    assert APIClient().get(URL).status_code in (401, 403)
