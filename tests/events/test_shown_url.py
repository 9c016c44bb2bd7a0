"""The admin API's `url` of a delivery: where it goes, never a query or userinfo (a partner's token may be
in either)."""

from __future__ import annotations

import pytest

from api.schema.webhooks import shown_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://partner.example/hooks/regapi?token=abc#frag", "https://partner.example/hooks/regapi"),
        ("https://user:pa55@partner.example:8443/h", "https://partner.example:8443/h"),
        ("http://127.0.0.1:9000/crm", "http://127.0.0.1:9000/crm"),
        ("https://[2606:4700::1]:443/h;p?q=1", "https://[2606:4700::1]:443/h;p"),
        ("https://Partner.Example", "https://partner.example"),
    ],
)
def test_the_url_shown_keeps_scheme_host_port_and_path_only(url: str, shown: str) -> None:
    assert shown_url(url) == shown
