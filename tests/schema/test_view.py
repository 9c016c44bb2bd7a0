"""The GraphQL view: who the caller is, as the per-address attempt limits count it."""

from __future__ import annotations

from api.schema.view import client_address, networks


def test_the_client_address_comes_from_trusted_proxies_only() -> None:
    assert client_address("127.0.0.1", "203.0.113.7", networks(["127.0.0.1"])) == "203.0.113.7"
    assert client_address("127.0.0.1", "203.0.113.7, 10.0.0.2", networks(["127.0.0.1", "10.0.0.0/8"])) == "203.0.113.7"
    assert client_address("198.51.100.9", "203.0.113.7", networks(["127.0.0.1"])) == "198.51.100.9"  # a claim, ignored
    assert client_address("127.0.0.1", None, networks(["127.0.0.1"])) == "127.0.0.1"
