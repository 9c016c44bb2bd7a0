"""Usernames as the policy says: an e-mail address or a plain name, case-sensitive or not.

Two questions, kept apart so that existing users keep signing in:

- `normalize_username`: the one spelling regapi sends to Cognito, for every operation. Plain names go
  through PRECIS (RFC 8264, RFC 8265 section 3.3 UsernameCaseMapped, or section 3.4 UsernameCasePreserved
  when `case_sensitive: true`): full-width letters become ASCII, upper case lower case (`toLowerCase`), NFC.
  E-mail usernames are parsed strictly (api.policy.addresses) and their local part gets the same PRECIS
  mapping; the domain is lower-cased. Input that PRECIS or the parser refuses keeps the spelling regapi
  gave before PRECIS (NFKC, trimmed, lower-cased unless case-sensitive), so a user created under that
  rule is still found; such input can no longer create an account.
  For every input PRECIS accepts, its result equals that earlier spelling (checked over every code
  point alone and next to letters: tests/policy/test_username.py), so no stored username changes.
- `username_problem`: whether a *new* account may have the name (sign-up, invitation): PRECIS must accept
  it as it is, it must not pass for another (api.policy.scripts: UTS #39), and it must fit Cognito's
  128 characters. Sign-in and confirmation do not ask this (see `is_valid_username`).
"""

from __future__ import annotations

import re
import unicodedata

import precis_i18n

from api.policy.addresses import parse_email
from api.policy.model import Policy
from api.policy.scripts import lookalike_problem

MAX_USERNAME_LENGTH = 128  # Cognito's limit
_PRINTABLE_ASCII = re.compile(r"[!-~]+")  # ASCII letters, digits, punctuation and symbols; no space
_CASE_MAPPED = precis_i18n.get_profile("UsernameCaseMapped")
_CASE_PRESERVED = precis_i18n.get_profile("UsernameCasePreserved")

PLAIN_MESSAGE = f"Use 1 to {MAX_USERNAME_LENGTH} letters, digits or punctuation, without spaces."
EMAIL_MESSAGE = "Enter a valid e-mail address."
EMAIL_LENGTH_MESSAGE = f"Use an e-mail address of at most {MAX_USERNAME_LENGTH} characters."


def normalize_username(policy: Policy, raw: str) -> str:
    """The one spelling of a username that regapi sends to Cognito and compares sessions against."""
    value = raw.strip()
    strict = _strict(policy, value)
    return strict if strict is not None else _before_precis(policy, raw)


def username_problem(policy: Policy, username: str) -> str | None:
    """Why `username` (already normalised) cannot name a new account, as the message to show; None if it can."""
    email = policy.username.kind == "email"
    if len(username) > MAX_USERNAME_LENGTH:
        return EMAIL_LENGTH_MESSAGE if email else PLAIN_MESSAGE
    if not username or _strict(policy, username) != username:
        return EMAIL_MESSAGE if email else PLAIN_MESSAGE
    if username.isascii():
        return None
    # The mailbox and each label of the domain on their own: a Cyrillic mailbox at a Latin domain is not a mix.
    local, _, domain = username.rpartition("@")
    parts = [local, *domain.split(".")] if email else [username]
    return next((problem for part in parts if (problem := lookalike_problem(part)) is not None), None)


def _strict(policy: Policy, value: str) -> str | None:
    """The PRECIS (and, for e-mail usernames, strictly parsed) form of `value`, or None if it has none."""
    case_sensitive = policy.username.case_sensitive
    if policy.username.kind != "email":
        return _enforce(value, case_sensitive)
    address = parse_email(value)
    if address is None:
        return None
    local = _enforce(address.local, case_sensitive)
    return None if local is None else f"{local}@{address.domain}"


def _enforce(value: str, case_sensitive: bool) -> str | None:
    if value.isascii():
        # What both profiles do to ASCII, without their per-character lookups: printable ASCII (U+0021 to
        # U+007E) is all of it that IdentifierClass takes, and case mapping is lower-casing.
        if _PRINTABLE_ASCII.fullmatch(value) is None:
            return None
        return value if case_sensitive else value.lower()
    profile = _CASE_PRESERVED if case_sensitive else _CASE_MAPPED
    try:
        enforced: str = profile.enforce(value)
    except UnicodeError:
        return None
    return enforced


def _before_precis(policy: Policy, raw: str) -> str:
    """The spelling regapi gave every username before PRECIS, kept for names PRECIS refuses."""
    value = unicodedata.normalize("NFKC", raw).strip()
    if not policy.username.case_sensitive:
        value = value.lower()
    elif policy.username.kind == "email":
        # Domains are case-insensitive even where the local part is not.
        local, at, domain = value.rpartition("@")
        if at:
            value = f"{local}@{domain.lower()}"
    return value


def is_valid_username(username: str) -> bool:
    r"""Whether Cognito could hold this username at all: the check for sign-in and confirmation, which
    must still find users created before the rules for new names (`username_problem`) were tightened.

    Cognito's Username pattern is [\p{L}\p{M}\p{S}\p{N}\p{P}]+: letters, marks, symbols, numbers and
    punctuation. Spaces, control and invisible format characters (zero-width, bidi overrides) are out.
    """
    if not 0 < len(username) <= MAX_USERNAME_LENGTH:
        return False
    if username.isascii():  # the common case, a regular expression instead of a lookup per character
        return _PRINTABLE_ASCII.fullmatch(username) is not None
    return all(unicodedata.category(c)[0] in "LMSNP" for c in username)
