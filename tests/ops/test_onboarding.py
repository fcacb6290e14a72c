"""What `make up` prints for a newcomer to call the API: the liveness probe (no login), the one
command that gives an API token, a curl that uses it, and where the paper account's key is."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from apps.ops import stack

pytestmark = pytest.mark.django_db


def test_the_urls_include_the_liveness_probe():
    urls = stack.urls()
    assert urls["Liveness"].endswith("/api/health/live")
    assert urls["Liveness"].removesuffix("/api/health/live") == urls["API health"].removesuffix(
        "/api/health/"
    )


def test_the_howto_names_the_token_command_and_a_curl_that_works(client, django_user_model):
    lines = stack.api_howto(user="admin", paper_account="paper-desk")
    text = "\n".join(lines)
    assert f"curl {stack.urls()['Liveness']}" in text
    token_line = next(line for line in lines if "drf_create_token" in line)
    assert re.search(r"manage\.py drf_create_token admin\b", token_line)
    assert "exchange_account credentials paper-desk --secret" in text
    assert "exchange_account reissue_paper paper-desk" in text
    assert "Authorization: Token <token>" in text

    # what the lines say works: the probe answers anyone, the token opens the health URL
    assert client.get("/api/health/live").status_code == 200
    django_user_model.objects.create_user("admin", password="x" * 16)
    out = StringIO()
    call_command("drf_create_token", "admin", stdout=out)
    token = re.search(r"Generated token (\w+)", out.getvalue()).group(1)
    api = APIClient()
    assert api.get("/api/health/").status_code == 403  # what a bare curl gets
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/health/").status_code in {200, 503}  # answered, up or not


def test_without_a_paper_account_no_credentials_line():
    assert not any("credentials" in line for line in stack.api_howto(user="a", paper_account=None))
