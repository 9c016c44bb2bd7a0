"""Rules that each parse on their own but cannot hold together, reported with the key to fix."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from api.policy.decision import Violation
from api.policy.model import (
    CUSTOM_ATTRIBUTE,
    RESERVED_ATTRIBUTES,
    STANDARD_ATTRIBUTES,
    VERIFICATION_ATTRIBUTES,
    AttributeSpec,
    Operation,
    Policy,
)
from api.policy.rules import check_value

Path = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Problem:
    path: Path
    message: str
    fix: str


def contradictions(policy: Policy, attributes: Mapping[str, AttributeSpec]) -> list[Problem]:
    """`attributes`: the policy's attribute rules as compiled for the engine (TenantPolicy.attributes)."""
    problems: list[Problem] = []
    for spec in attributes.values():
        problems += _attribute(spec)
    problems += _approval(policy) + _email_domains(policy) + _api_keys(policy) + _webhooks(policy)
    return problems + _pages(policy)


def _attribute(spec: AttributeSpec) -> list[Problem]:
    name, rule = spec.name, spec.rule
    at: Path = ("attributes", name)
    if name in RESERVED_ATTRIBUTES:
        return [Problem(at, f"{name} is written by Cognito only", f"remove {name}: no client may ever set it")]
    problems: list[Problem] = []
    if name not in STANDARD_ATTRIBUTES and not CUSTOM_ATTRIBUTE.match(name):
        problems.append(
            Problem(
                at,
                f"{name} is neither a standard Cognito attribute nor a custom one",
                "use a standard attribute (email, name, given_name, ...) or name it custom:<1-20 letters, digits or _>",
            )
        )
    for op in ("first_sign_in", "profile_update"):
        if not rule.mutable and rule.writable_by is not None and op in rule.writable_by:
            # A user's own writes go through the app client, which can then write it again at Cognito
            # directly: write-once holds only where the pool makes it immutable, that is, at creation.
            problems.append(
                Problem(
                    (*at, "writable_by"),
                    f"a write-once attribute (mutable: false) cannot be written by {op}: only at creation, or by "
                    "admin_update while it is unset",
                    f"remove {op} from writable_by, or make the attribute mutable",
                )
            )
    for op in ("profile_update", "admin_update"):
        if op in rule.required:
            problems.append(
                Problem(
                    (*at, "required"),
                    f"{op} changes an existing user and sends only what changes: nothing can be required there",
                    f"remove {op} from required",
                )
            )
    for op in sorted(spec.required_ops - spec.writable_ops):
        if op is Operation.FIRST_SIGN_IN and not rule.mutable:
            # Can never be satisfied: the user exists by the first sign-in, and write-once means creation only.
            message = f"{name} is write-once (set only when the user is created) but required at first_sign_in"
            fix = "require it at invite instead, or make it mutable"
        else:
            message = f"{name} is required at {op.value} but {op.value} may not write it"
            fix = f"add {op.value} to writable_by, or remove it from required"
        problems.append(Problem((*at, "required"), message, fix))
    if rule.min_length is not None and rule.max_length is not None and rule.min_length > rule.max_length:
        problems.append(Problem((*at, "min_length"), "min_length is larger than max_length", "lower min_length"))
    for value in rule.enum or []:
        found: list[Violation] = []
        check_value(spec, value, found)
        if found:
            failures = [v.code.value for v in found]
            problems.append(
                Problem(
                    (*at, "enum"),
                    f"the allowed value {value!r} fails this attribute's own rules ({', '.join(failures)})",
                    "change the value, or the pattern/format/length it fails",
                )
            )
    return problems


def _approval(policy: Policy) -> list[Problem]:
    if policy.registration.approval_required and not policy.registration.self_signup:
        return [
            Problem(
                ("registration", "approval_required"),
                "approval applies to self sign-ups, and this tenant has none",
                "set self_signup: true, or remove approval_required",
            )
        ]
    return []


def _email_domains(policy: Policy) -> list[Problem]:
    domains = policy.email_domains
    if domains is None:
        return []
    problems: list[Problem] = []
    if domains.allow is not None and domains.deny is not None:
        problems.append(
            Problem(("email_domains",), "both allow and deny are set", "keep either allow or deny, not both")
        )
    if policy.username.kind != "email" and "email" not in policy.attributes:
        problems.append(
            Problem(
                ("email_domains",),
                "the rule can never apply: this tenant has no e-mail address",
                "add an email attribute, use username.kind: email, or remove email_domains",
            )
        )
    return problems


def _api_keys(policy: Policy) -> list[Problem]:
    keys = policy.admins.api_keys
    return [
        Problem(("admins", "api_keys", index), "duplicate API key name or digest", "give each key its own entry")
        for index, key in enumerate(keys)
        if any(other.sha256 == key.sha256 or other.name == key.name for other in keys[:index])
    ]


def _webhooks(policy: Policy) -> list[Problem]:
    """What a webhook may read is what the policy names (and whether an address is proven): never regapi's
    stamps, never an attribute the operator did not think about. One entry per endpoint."""
    problems: list[Problem] = []
    readable = set(policy.attributes) | VERIFICATION_ATTRIBUTES
    webhooks = policy.events.webhooks
    for index, webhook in enumerate(webhooks):
        at: Path = ("events", "webhooks", index)
        if any(other.url == webhook.url for other in webhooks[:index]):
            problems.append(
                Problem(
                    (*at, "url"),
                    "another webhook has this URL already: each event would be sent to it twice",
                    "merge the two entries into one, with both lists of events",
                )
            )
        for position, name in enumerate(webhook.attributes):
            if name in webhook.attributes[:position]:
                problems.append(Problem((*at, "attributes", position), f"{name} is listed twice", "list it once"))
            elif name not in readable:
                problems.append(
                    Problem(
                        (*at, "attributes", position),
                        f"{name} is not an attribute of this policy, so no event can carry it",
                        f"add {name} under attributes:, or remove it here (readable: the policy's attributes, "
                        "email_verified and phone_number_verified)",
                    )
                )
        for position, event in enumerate(webhook.events):
            if event in webhook.events[:position]:
                problems.append(Problem((*at, "events", position), f"{event.value} is listed twice", "list it once"))
    return problems


def _pages(policy: Policy) -> list[Problem]:
    """A label or a name in a language the pages do not offer, or for an attribute the policy does not name,
    would never be shown: a typo to point at, not to ignore."""
    pages = policy.pages
    offered = set(pages.languages)
    problems = [
        Problem(
            ("pages", "display_name", language),
            f"{language} is not among pages.languages, so this name is never shown",
            f"add {language} to pages.languages, or remove this name",
        )
        for language in pages.display_name
        if language not in offered
    ]
    for name, labels in pages.labels.items():
        if name not in policy.attributes:
            problems.append(
                Problem(
                    ("pages", "labels", name),
                    f"{name} is not an attribute of this policy, so no page shows it",
                    f"add {name} under attributes:, or remove its labels",
                )
            )
            continue
        problems += [
            Problem(
                ("pages", "labels", name, language),
                f"{language} is not among pages.languages, so this label is never shown",
                f"add {language} to pages.languages, or remove this label",
            )
            for language in labels
            if language not in offered
        ]
    return problems
