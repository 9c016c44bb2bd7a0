"""What a policy change does (`regapi policy diff OLD NEW`): every rule added, removed or changed, with a
note where the change affects users. Pure: two models in, a list of changes out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from api.policy.model import Policy

Path = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Change:
    path: str
    before: Any
    after: Any
    note: str | None = None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"


def newly_required(old: Policy, new: Policy) -> dict[str, list[str]]:
    """Attribute -> operations that require it now and did not before."""
    found: dict[str, list[str]] = {}
    for name, rule in new.attributes.items():
        before = set(old.attributes[name].required) if name in old.attributes else set()
        added = [str(op) for op in rule.required if op not in before]
        if added:
            found[name] = added
    return found


def diff(old: Policy, new: Policy) -> list[Change]:
    changes: list[Change] = []
    _walk((), old.model_dump(exclude_unset=False), new.model_dump(exclude_unset=False), changes)
    return [_annotate(change, old, new) for change in changes]


def _walk(path: Path, before: Any, after: Any, out: list[Change]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after), key=str):
            _walk((*path, str(key)), before.get(key), after.get(key), out)
        return
    if before != after:
        out.append(Change(".".join(path), before, after))


def _annotate(change: Change, old: Policy, new: Policy) -> Change:
    note = None
    path = change.path
    if path == "registration.self_signup":
        note = (
            "self sign-up opened: anyone may now register"
            if change.after
            else "self sign-up closed: new sign-ups are refused; users who signed up can still confirm"
        )
    elif path == "registration.approval_required" and change.after:
        note = "sign-ups now wait for an administrator; earlier pending sign-ups still confirm with their code"
    elif path == "registration.temporary_password_validity_days":
        note = "open invitations expire by the new validity, counted from when they were sent"
    elif path.startswith("password."):
        note = "applies to passwords set from now on; existing passwords stay valid"
    elif path.endswith(".required") and path.startswith("attributes."):
        note = "users created before may lack it and are not asked again; --against-pool lists the confirmed ones"
    elif path.endswith(".multiline") and path.startswith("attributes.") and not change.after:
        note = "line breaks are refused in values sent from now on; stored values keep theirs"
    elif path.startswith("email_domains"):
        note = "applies to registrations from now on; existing users keep their addresses"
    elif path.startswith("attributes.") and change.after is None:
        note = "the attribute is no longer accepted from clients; stored values stay in Cognito"
    elif path.startswith("admins"):
        note = "API keys changed: callers with a removed key are refused from now on"
    return Change(change.path, change.before, change.after, note)
