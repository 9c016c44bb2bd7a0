"""Fixtures of the events tests: a webhook secret in the environment, and a receiver verifying with it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers.events import SECRET_ENV, new_secret
from tests.helpers.receiver import Receiver, receiving


@pytest.fixture
def secret(monkeypatch: pytest.MonkeyPatch) -> str:
    value = new_secret()
    monkeypatch.setenv(SECRET_ENV, value)
    return value


@pytest.fixture
def receiver(secret: str) -> Iterator[Receiver]:
    with receiving(secret) as started:
        yield started
