"""Cognito's password policy: checked with Cognito's wording, and temporary passwords generated to it.

moto checks passwords on some paths only, refuses anything of 99 characters or more, defaults missing
Require* flags to true and always answers "does not confirm" (sic). Cognito checks every path that sets
a password, allows up to 256 characters, treats a missing flag as false and names the rule that failed.
"""

from __future__ import annotations

import secrets
import string
from collections.abc import Mapping
from typing import Any

from api.cognito.embedded.moto_internals import JsonRESTError
from api.policy.rules import PASSWORD_SYMBOLS

MAX_LENGTH = 256
# The symbols temporary passwords are drawn from: a subset of PASSWORD_SYMBOLS (the set Cognito accepts,
# kept once in api.policy.rules) without the space, the quotes, the backslash and the backtick.
_GENERATED_SYMBOLS = "^$*.[]{}()?!@#%&/,><:;|_~=+-"


class InvalidPasswordError(JsonRESTError):
    def __init__(self, reason: str) -> None:
        super().__init__("InvalidPasswordException", f"Password did not conform with policy: {reason}")


def check(policy: Mapping[str, Any], password: str) -> None:
    """Raise InvalidPasswordException naming the first rule the password breaks, as Cognito does."""
    if len(password) < int(policy.get("MinimumLength", 8)):
        raise InvalidPasswordError("Password not long enough")
    if len(password) > MAX_LENGTH:
        raise InvalidPasswordError("Password is too long")
    if policy.get("RequireLowercase") and not any(c.islower() for c in password):
        raise InvalidPasswordError("Password must have lowercase characters")
    if policy.get("RequireUppercase") and not any(c.isupper() for c in password):
        raise InvalidPasswordError("Password must have uppercase characters")
    if policy.get("RequireNumbers") and not any(c in string.digits for c in password):
        raise InvalidPasswordError("Password must have numeric characters")
    if policy.get("RequireSymbols") and not any(c in PASSWORD_SYMBOLS for c in password):
        raise InvalidPasswordError("Password must have symbol characters")


def generate(policy: Mapping[str, Any]) -> str:
    """A temporary password the pool's own policy accepts, with a character of every class."""
    length = max(int(policy.get("MinimumLength", 8)), 12)
    classes = [string.ascii_lowercase, string.ascii_uppercase, string.digits, _GENERATED_SYMBOLS]
    chars = [secrets.choice(c) for c in classes]
    alphabet = "".join(classes)
    chars += [secrets.choice(alphabet) for _ in range(length - len(chars))]
    secrets.SystemRandom().shuffle(chars)
    return "".join(chars)
