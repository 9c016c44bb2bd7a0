"""The individual checks the engine combines; each adds what it finds to a list of violations and never raises."""

from __future__ import annotations

import re
from datetime import date

from api.policy.addresses import is_email
from api.policy.characters import forbidden_characters
from api.policy.decision import Violation, ViolationCode
from api.policy.model import MAX_ATTRIBUTE_LENGTH, AttributeSpec, EmailDomains, PasswordConfig

PHONE_NUMBER = re.compile(r"^\+[1-9][0-9]{4,14}$")  # E.164, as Cognito requires
URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$")
INTEGER = re.compile(r"^-?[0-9]+$")
# The characters Cognito counts as symbols in a password policy.
PASSWORD_SYMBOLS = frozenset("^$*.[]{}()?\"!@#%&/\\,><':;|_~`=+- ")
MAX_PASSWORD_LENGTH = 256
_DIGIT = re.compile(r"[0-9]")
_SYMBOL = re.compile("[" + re.escape("".join(sorted(PASSWORD_SYMBOLS))) + "]")

_FORMAT_HINT = {
    "email": "an e-mail address",
    "phone_number": "a phone number in E.164 form, such as +14155550100",
    "url": "an http(s) URL",
    "date": "a date as YYYY-MM-DD",
    "integer": "a whole number",
}


def _matches_format(fmt: str, value: str) -> bool:
    if fmt == "email":
        return is_email(value)
    if fmt == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return len(value) == 10
    pattern = {"phone_number": PHONE_NUMBER, "url": URL, "integer": INTEGER}[fmt]
    return pattern.match(value) is not None


def check_value(spec: AttributeSpec, value: str, found: list[Violation], field: str = "attributes") -> None:
    """Characters, format, pattern, enum and length of one attribute value; what it misses goes into `found`
    (`field`: the input field the value came in, "username" for an e-mail username)."""
    name, rule = spec.name, spec.rule
    if forbidden_characters(value, line_breaks=rule.multiline):
        what = "" if rule.multiline else "line breaks, "
        message = f"{name} cannot contain {what}control characters or invisible formatting characters."
        found.append(Violation(ViolationCode.INVALID_CHARACTER, field, name, message))
    # Without a max_length of its own, Cognito's cap on string attributes still applies.
    limit = rule.max_length if rule.max_length is not None else MAX_ATTRIBUTE_LENGTH
    if len(value) > limit:
        found.append(Violation(ViolationCode.TOO_LONG, field, name, f"{name} must be at most {limit} characters."))
    if rule.min_length is not None and len(value) < rule.min_length:
        message = f"{name} must be at least {rule.min_length} characters."
        found.append(Violation(ViolationCode.TOO_SHORT, field, name, message))
    if rule.format is not None and not _matches_format(rule.format, value):
        message = f"{name} must be {_FORMAT_HINT[rule.format]}."
        found.append(Violation(ViolationCode.INVALID_FORMAT, field, name, message))
    if rule.enum is not None and value not in rule.enum:
        message = f"{name} must be one of: {', '.join(rule.enum)}."
        found.append(Violation(ViolationCode.VALUE_NOT_ALLOWED, field, name, message))
    if spec.regex is not None and spec.regex.fullmatch(value) is None:
        message = f"{name} does not have the expected form."
        found.append(Violation(ViolationCode.PATTERN_MISMATCH, field, name, message))


def domain_allowed(domains: EmailDomains, email: str) -> bool:
    domain = email.rpartition("@")[2].lower()

    def listed(entries: list[str]) -> bool:
        for listed_entry in entries:
            entry = listed_entry.lower()
            if entry.startswith("*."):
                if domain.endswith(entry[1:]):
                    return True
            elif domain == entry:
                return True
        return False

    if domains.allow is not None and not listed(domains.allow):
        return False
    return not (domains.deny is not None and listed(domains.deny))


def check_password(rules: PasswordConfig, password: str, field: str, found: list[Violation]) -> None:
    """Every rule the password misses goes into `found`, so a form can show them all at once."""
    if len(password) < rules.min_length:
        found.append(
            Violation(ViolationCode.PASSWORD_TOO_SHORT, field, None, f"Use at least {rules.min_length} characters.")
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        found.append(
            Violation(ViolationCode.PASSWORD_TOO_LONG, field, None, f"Use at most {MAX_PASSWORD_LENGTH} characters.")
        )
    if password != password.strip():
        found.append(
            Violation(ViolationCode.PASSWORD_INVALID_CHARACTER, field, None, "Do not start or end with a space.")
        )
    if forbidden_characters(password):
        found.append(
            Violation(
                ViolationCode.PASSWORD_INVALID_CHARACTER,
                field,
                None,
                "Use no control or invisible formatting characters.",
            )
        )
    required = rules.require
    # Case changes and regular expressions run in C; a generator per character class would not.
    if "lowercase" in required and password.upper() == password:
        found.append(Violation(ViolationCode.PASSWORD_NEEDS_LOWERCASE, field, None, "Add a lowercase letter."))
    if "uppercase" in required and password.lower() == password:
        found.append(Violation(ViolationCode.PASSWORD_NEEDS_UPPERCASE, field, None, "Add an uppercase letter."))
    if "digits" in required and _DIGIT.search(password) is None:
        found.append(Violation(ViolationCode.PASSWORD_NEEDS_DIGIT, field, None, "Add a digit."))
    if "symbols" in required and _SYMBOL.search(password) is None:
        found.append(Violation(ViolationCode.PASSWORD_NEEDS_SYMBOL, field, None, "Add a symbol such as ! or #."))
