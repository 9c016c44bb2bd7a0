"""What the embedded Cognito must remember that moto does not: codes, when a temporary password was
issued, which user a challenge session belongs to, which tokens each user holds, attribute values
waiting for verification. One PoolRules per user pool, with the clock, outbox and issuer of whoever owns
the pool; the tokens that no longer work, process-wide (the Registry), as a token names no pool."""

from __future__ import annotations

import threading
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from api.clock import Clock, SystemClock
from api.cognito.embedded.outbox import Outbox


@dataclass(slots=True)
class IssuedCode:
    code: str = field(repr=False)
    issued_at: datetime
    failures: int = 0
    locked_until: datetime | None = None


@dataclass(slots=True)
class IssuedSession:
    username: str
    issued_at: datetime


@dataclass(slots=True)
class IssuedToken:
    username: str  # the user's own username, whatever name it signed in with
    client_id: str
    kind: str  # "access" or "refresh"
    issued_at: datetime
    valid_for: timedelta


class PoolRules:
    """A pool's codes (by username, then purpose: "sign_up", "reset", "verify:email", ...), temporary
    passwords, challenge sessions, tokens and pending attribute values, by username (sessions also by
    the session, tokens also by the token), so that nothing here is found by a scan. Read and change
    under `lock`."""

    def __init__(self, clock: Clock, outbox: Outbox, issuer: str | None = None) -> None:
        self.clock = clock
        self.outbox = outbox
        # The `iss` of the pool's tokens (api.cognito.embedded.signing); None keeps moto's AWS form.
        self.issuer = issuer
        self.codes: dict[str, dict[str, IssuedCode]] = {}
        self.temporary_passwords: dict[str, datetime] = {}
        self.sessions: dict[str, IssuedSession] = {}
        self._user_sessions: dict[str, set[str]] = {}
        self.tokens: dict[str, IssuedToken] = {}  # access and refresh tokens (Cognito's differ in form)
        self.user_tokens: dict[str, set[str]] = {}
        self.pending: dict[str, dict[str, str]] = {}  # username -> attribute -> value awaiting its code
        self.lock = threading.Lock()

    def open_session(self, session: str, username: str) -> None:
        with self.lock:
            self.sessions[session] = IssuedSession(username, self.clock.now())
            self._user_sessions.setdefault(username, set()).add(session)

    def close_session(self, session: str) -> None:
        with self.lock:
            if (issued := self.sessions.pop(session, None)) is not None:
                open_ones = self._user_sessions.get(issued.username, set())
                open_ones.discard(session)
                if not open_ones:
                    self._user_sessions.pop(issued.username, None)

    def file_token(self, token: str, issued: IssuedToken) -> None:
        with self.lock:
            self.tokens[token] = issued
            self.user_tokens.setdefault(issued.username, set()).add(token)

    def take_tokens(self, username: str, kinds: Collection[str]) -> dict[str, IssuedToken]:
        """The user's tokens of these kinds, no longer filed; the others stay."""
        with self.lock:
            held = self.user_tokens.pop(username, set())
            taken = {token: self.tokens[token] for token in held if self.tokens[token].kind in kinds}
            if kept := held.difference(taken):
                self.user_tokens[username] = kept
            for token in taken:
                del self.tokens[token]
            return taken

    def forget(self, username: str) -> None:
        """A deleted user's codes, locks, temporary password, sessions and pending values: a new user of
        the name starts clean. Its tokens are ended by the caller, which tells moto too."""
        with self.lock:
            self.codes.pop(username, None)
            self.temporary_passwords.pop(username, None)
            self.pending.pop(username, None)
            for session in self._user_sessions.pop(username, set()):
                self.sessions.pop(session, None)


def issuer(base: str | None, pool_id: str) -> str | None:
    """A pool's issuer: its id under the base URL its key set is served at, if any."""
    return None if base is None else f"{base}/{pool_id}"


class Registry:
    """Pool id -> rules. A pool nobody attached (one a client created with boto3) gets the defaults."""

    def __init__(self) -> None:
        self._rules: dict[str, PoolRules] = {}
        self._lock = threading.Lock()
        self._default: tuple[Clock, Outbox, str | None] = (SystemClock(), Outbox(), None)
        self._ended: dict[str, str] = {}  # token -> why it no longer works (api.cognito.embedded.tokens)

    def end(self, tokens: Iterable[str], why: str) -> None:
        with self._lock:
            self._ended.update(dict.fromkeys(tokens, why))

    def ended(self, token: str) -> str | None:
        with self._lock:
            return self._ended.get(token)

    def set_default(self, clock: Clock, outbox: Outbox, issuer_base: str | None = None) -> None:
        """The clock, outbox and issuer base of pools created from outside, as in `regapi cognito serve`."""
        with self._lock:
            self._default = (clock, outbox, issuer_base)

    def attach(self, pool_id: str, clock: Clock, outbox: Outbox, issuer_base: str | None = None) -> None:
        with self._lock:
            self._rules[pool_id] = PoolRules(clock, outbox, issuer(issuer_base, pool_id))

    def rules(self, pool_id: str) -> PoolRules:
        with self._lock:
            if pool_id not in self._rules:
                clock, outbox, base = self._default
                self._rules[pool_id] = PoolRules(clock, outbox, issuer(base, pool_id))
            return self._rules[pool_id]


REGISTRY = Registry()
