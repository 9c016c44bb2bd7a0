"""Usernames as the policy says: an e-mail address or a plain name, case-sensitive or not."""

from __future__ import annotations

import re
import unicodedata

from api.policy.model import Policy


def normalize_username(policy: Policy, raw: str) -> str:
    """The one spelling of a username that regapi sends to Cognito and compares sessions against.

    NFKC folds look-alike compatibility characters (full-width letters and the like) so that two
    spellings a person cannot tell apart are one account.
    """
    value = unicodedata.normalize("NFKC", raw).strip()
    if not policy.username.case_sensitive:
        value = value.lower()
    elif policy.username.kind == "email":
        # Domains are case-insensitive even where the local part is not.
        local, at, domain = value.rpartition("@")
        if at:
            value = f"{local}@{domain.lower()}"
    return value


MAX_USERNAME_LENGTH = 128  # Cognito's limit
_PRINTABLE_ASCII = re.compile(r"[!-~]+")  # ASCII letters, digits, punctuation and symbols; no space


def is_valid_username(username: str) -> bool:
    r"""Whether Cognito could hold this username at all.

    Cognito's Username pattern is [\p{L}\p{M}\p{S}\p{N}\p{P}]+: letters, marks, symbols, numbers and
    punctuation. Spaces, control and invisible format characters (zero-width, bidi overrides) are out.
    """
    if not 0 < len(username) <= MAX_USERNAME_LENGTH:
        return False
    if username.isascii():  # the common case, a regular expression instead of a lookup per character
        return _PRINTABLE_ASCII.fullmatch(username) is not None
    return all(unicodedata.category(c)[0] in "LMSNP" for c in username)
