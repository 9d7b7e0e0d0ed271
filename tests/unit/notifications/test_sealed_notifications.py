"""Sealed notifications are opened once per process, and only under the key that sealed them."""

import json

from app.notifications import service as notifications
from app.safespace import service as safespace


def test_a_sealed_payload_is_remembered_under_its_key_only():
    key, next_key = safespace.derive_keys("k" * 48), safespace.derive_keys("n" * 48)
    token = safespace.encrypt(json.dumps({"m": 7, "k": "reply", "p": "abcdefgh"}).encode(), key)
    opened = notifications.opened(key, token)
    assert opened["m"] == 7 and notifications.opened(key, token) is opened
    assert dict(notifications.opened(next_key, token)) == {}  # a retired key's token stays shut
