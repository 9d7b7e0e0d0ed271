"""ENVIRONMENT=production refuses to start on settings that would misbehave: no secrets, short or
shared ones, or a BASE_URL that is not the site's https address."""

import pytest
from pydantic import ValidationError

from app.core.config import Settings

SECRET, ANONYMITY = "s" * 40, "a" * 40
GOOD = {"environment": "production", "secret_key": SECRET, "anonymity_key": ANONYMITY,
        "base_url": "https://forum.example.org"}


def test_good_production_settings_start_with_secure_cookies():
    assert Settings(**GOOD).secure_cookies


@pytest.mark.parametrize(("change", "said"), [
    ({"secret_key": ""}, "SECRET_KEY must be set"),
    ({"anonymity_key": "short"}, "ANONYMITY_KEY must be at least 32"),
    ({"anonymity_key": SECRET}, "ANONYMITY_KEY must differ"),
    ({"base_url": "http://forum.example.org"}, "BASE_URL must be"),
    ({"base_url": "http://127.0.0.1:8000"}, "BASE_URL must be"),
])
def test_production_refuses_settings_that_would_misbehave(change, said, monkeypatch):
    monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(ValidationError, match=said):
        Settings(**(GOOD | change))
