"""E-mail addresses, parsed strictly by `email-validator` (the library pydantic's EmailStr uses).

One mailbox must have one spelling: RFC 5322 also allows quoted local parts (`"vic"@shop.example`),
comments (`vic(x)@shop.example`), display names and bracketed IP domains, which all reach the mailbox of
a plain address and would make two accounts of one person. Only the dot-atom form is accepted: letters,
digits and ``!#$%&'*+-/=?^_`{|}~`` between single dots, up to 64 characters before the @, and a domain with
a dot that is not a special-use name (`.test`, `.localhost`, `.invalid`, ...). Internationalised
addresses are accepted, with the local part in NFC. The domain is spelt as regapi always spelt it (NFKC,
lower-cased), not as IDNA (UTS #46) maps it: the two differ only for a few hundred characters (Cherokee
capitals, U+0345), and a stored username must keep its spelling. Nothing is looked up: deliverability is
proven by the code sent to the address.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email

MAX_EMAIL_LENGTH = 254  # RFC 5321's limit on a path
_OTHER_DOTS = ("\u3002", "\uff0e", "\uff61")  # the full stops UTS #46 maps to "."


@dataclass(frozen=True, slots=True)
class Address:
    local: str  # as written (NFC), case kept: only the mailbox's own server may fold it
    domain: str  # NFKC, lower-cased, in Unicode form


@lru_cache(maxsize=4096)  # one request asks about its address up to four times (username, attribute, domain)
def parse_email(value: str) -> Address | None:
    """The address's parts when `value` is one plain address and nothing else; None otherwise."""
    if not 0 < len(value) <= MAX_EMAIL_LENGTH or "@" not in value:
        return None
    try:
        parsed = validate_email(
            value,
            check_deliverability=False,
            allow_quoted_local=False,
            allow_domain_literal=False,
            allow_display_name=False,
            allow_empty_local=False,
            allow_smtputf8=True,
            strict=True,
            globally_deliverable=True,
            test_environment=False,
        )
    except EmailNotValidError:
        return None
    domain = unicodedata.normalize("NFKC", value.rpartition("@")[2]).lower()
    # One domain, one spelling: IDNA also reads the ideographic full stops as dots and the ASCII
    # (punycode) form of a label as the label, which would give one mailbox two usernames.
    if any(dot in domain for dot in _OTHER_DOTS) or any(label.startswith("xn--") for label in domain.split(".")):
        return None
    return Address(parsed.local_part, domain)


def is_email(value: str) -> bool:
    return parse_email(value) is not None
