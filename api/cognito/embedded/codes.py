"""The codes a pool sends and checks, for every purpose alike (confirming a sign-up, resetting a password,
verifying an attribute): six digits, a new one replacing the last, checked in constant time, expiring,
and attempt-limited, the user locked out for a while after too many wrong guesses.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import timedelta

from api.cognito.embedded.moto_internals import CodeMismatchException, ExpiredCodeException, JsonRESTError
from api.cognito.embedded.state import IssuedCode, PoolRules

SIGN_UP = "sign_up"
RESET = "reset"
# Developer Guide, signing up users: the confirmation code is valid for 24 hours; managing users: the
# reset password code is valid for 1 hour. Attribute verification codes are sent with the same
# verification message as the sign-up code, so they keep its 24 hours.
VALIDITY = {SIGN_UP: timedelta(hours=24), RESET: timedelta(hours=1)}
DEFAULT_VALIDITY = timedelta(hours=24)
# Wrong codes a user may send before Cognito answers LimitExceededException for a while.
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MISMATCH = "Invalid verification code provided, please try again."
EXPIRED = "Invalid code provided, please request a code again."


class LimitExceededError(JsonRESTError):
    def __init__(self, message: str = "Attempt limit exceeded, please try after some time.") -> None:
        super().__init__("LimitExceededException", message)


def verifying(attribute: str) -> str:
    """The purpose of a code that verifies `attribute` (email, phone_number)."""
    return f"verify:{attribute}"


def issue(rules: PoolRules, username: str, purpose: str) -> str:
    """A fresh code for the user and purpose, replacing any earlier one but not lifting its lock."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    with rules.lock:
        mine = rules.codes.setdefault(username, {})
        previous = mine.get(purpose)
        fresh = IssuedCode(code, rules.clock.now())
        if previous is not None and previous.locked_until is not None:
            # A new code must not lift a lock, or asking for one would reset the guessing budget.
            fresh.failures, fresh.locked_until = previous.failures, previous.locked_until
        mine[purpose] = fresh
    return code


def redeem(
    rules: PoolRules,
    username: str,
    purpose: str,
    given: object,
    *,
    unrequested: Callable[[], Exception] = lambda: CodeMismatchException(MISMATCH),
) -> None:
    """Spend the user's code for the purpose, or raise Cognito's refusal: LimitExceededException while
    locked (even for the right code, or guessing would only be slowed down), CodeMismatchException for a
    wrong code (counted), ExpiredCodeException for a late one; `unrequested()` when none was sent."""
    now = rules.clock.now()
    with rules.lock:
        issued = rules.codes.get(username, {}).get(purpose)
        if issued is None:
            raise unrequested()
        if issued.locked_until is not None:
            if now < issued.locked_until:
                raise LimitExceededError()
            issued.failures, issued.locked_until = 0, None
        # Compared as bytes: compare_digest refuses str that is not ASCII, and a caller may send anything.
        if not secrets.compare_digest(issued.code.encode(), str(given).encode()):
            issued.failures += 1
            if issued.failures >= MAX_FAILURES:
                issued.locked_until = now + LOCKOUT
            raise CodeMismatchException(MISMATCH)
        if now - issued.issued_at > VALIDITY.get(purpose, DEFAULT_VALIDITY):
            raise ExpiredCodeException(EXPIRED)
        del rules.codes[username][purpose]
