"""Invitation and pending-sign-up status, derived from Cognito's user record and the tenant's policy.

Sign-in needs it (a tenant's own validity may be shorter than the pool's), admins list it, and the
CLI's `policy diff --against-pool` reports the users a change touches: all with one ownership rule.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta

from api.cognito.port import UserRecord
from api.policy import Policy, TenantPolicy
from api.policy.model import ORIGIN_ATTRIBUTE, TENANT_ATTRIBUTE
from api.registration.outcomes import Invitation, InvitationStatus, PendingSignUp, UserStatus
from api.registration.tenancy import Target, owns


def validity(policy: TenantPolicy) -> timedelta:
    return timedelta(days=policy.policy.registration.temporary_password_validity_days)


def invitation(target: Target, user: UserRecord | None, now: datetime) -> Invitation | None:
    """The invitation a user stands for, if it is an invited user of this tenant.

    Cognito cannot tell an expired invitation from a pending one: both are FORCE_CHANGE_PASSWORD.
    The status is derived from when the temporary password was last issued (creation, or the
    last resend) and this tenant's validity days.
    """
    if user is None or user.attributes.get(ORIGIN_ATTRIBUTE) != "invite" or not target.owns(user):
        return None
    status = UserStatus(user.status)
    waiting = status is UserStatus.FORCE_CHANGE_PASSWORD
    issued = max(user.created_at, user.modified_at) if waiting else user.created_at
    expires = issued + validity(target.policy)
    if not waiting:
        state = InvitationStatus.ACCEPTED
    else:
        state = InvitationStatus.EXPIRED if now > expires else InvitationStatus.PENDING
    return Invitation(user.username, state, status, user.created_at, expires)


def is_pending_sign_up(user: UserRecord) -> bool:
    """A sign-up awaiting approval: created by sign-up, not enabled, its address not proven. (A member who
    proved it and was disabled later is not one: rejecting would delete them. Cognito keeps no record of
    an approval, so an approved member disabled before proving the address still looks pending.)"""
    return (
        not user.enabled
        and user.attributes.get(ORIGIN_ATTRIBUTE) == "sign_up"
        and user.attributes.get("email_verified") != "true"
    )


def pending_sign_up(target: Target, user: UserRecord | None) -> PendingSignUp | None:
    """This tenant's sign-up awaiting approval. Only tenants with approval have them: elsewhere a
    disabled user was disabled on purpose."""
    if (
        user is None
        or not target.policy.policy.registration.approval_required
        or not is_pending_sign_up(user)
        or not target.owns(user)
    ):
        return None
    shown = tuple((k, v) for k, v in user.attributes.items() if k in target.policy.policy.attributes)
    return PendingSignUp(user.username, user.created_at, shown)


def affected_users(
    tenant: str,
    old: Policy,
    new: Policy,
    newly_required: Iterable[str],
    pool_users: Sequence[UserRecord],
    *,
    shared: bool,
) -> Mapping[str, list[str]]:
    """The users of the tenant's pool a policy change touches: open invitations, pending sign-ups when
    self sign-up closes, and confirmed users lacking a newly required attribute. `shared`: whether other
    tenants name the same pool (then unstamped users belong to none of them)."""
    users = [u for u in pool_users if owns(tenant, shared, u.attributes.get(TENANT_ATTRIBUTE))]
    statuses = {u.username: UserStatus(u.status) for u in users}
    affected: dict[str, list[str]] = {
        "open invitations": [u.username for u in users if statuses[u.username] is UserStatus.FORCE_CHANGE_PASSWORD]
    }
    if old.registration.self_signup and not new.registration.self_signup:
        affected["pending sign-ups"] = [
            u.username for u in users if statuses[u.username] is UserStatus.UNCONFIRMED or is_pending_sign_up(u)
        ]
    for name in newly_required:
        affected[f"missing newly required {name}"] = [
            u.username for u in users if statuses[u.username] is UserStatus.CONFIRMED and not u.attributes.get(name)
        ]
    return affected
