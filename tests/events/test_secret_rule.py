"""One rule for what a webhook secret is, for the policy's admission at load time and the deliverer at each
attempt: a secret one refuses, the other refuses too."""

from __future__ import annotations

import base64

import pytest

from api.events import signing
from api.events.admission import secret_problem
from tests.helpers.events import new_secret

KEY = base64.b64encode(b"k" * 32).decode()


@pytest.mark.parametrize(
    "value",
    [
        "",
        KEY,
        "whsec_" + base64.b64encode(b"short").decode(),
        "whsec_" + base64.b64encode(b"k" * 65).decode(),
        "whsec_!!",
    ],
)
def test_a_secret_admission_refuses_is_one_the_deliverer_never_signs_with(value: str) -> None:
    problem = secret_problem(value)
    assert problem is not None
    with pytest.raises(signing.SecretError) as refused:
        signing.secret("PARTNER_SECRET", {"PARTNER_SECRET": value})
    assert str(refused.value) == f"secret variable PARTNER_SECRET {problem}"
    if value:
        assert value not in str(refused.value)


def test_a_secret_both_accept() -> None:
    value = new_secret()
    assert secret_problem(value) is None
    assert signing.secret("PARTNER_SECRET", {"PARTNER_SECRET": value}) is not None
