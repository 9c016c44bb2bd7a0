"""Account pre-hijacking: a name registered first by someone else, never confirmed, goes to whoever
proves the mailbox, with the password and attributes of the sign-up they confirm.

The attacker signs up the victim's address with a password of their own; the victim then signs up. The
victim's sign-up replaces the pending registration: the attacker's codes die, the victim's code is
sent, and only the victim's password opens the confirmed account.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from tests.helpers.client import Api
from tests.helpers.flows import confirm, resend, sign_in, sign_up

MALLORY = "mallory pass 1"
VICTIM = "victim pass 1"


def claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    value: dict[str, Any] = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return value


def codes(api: Api, username: str) -> list[str]:
    sent = [str(m["code"]) for m in api.outbox("shop", username) if m["kind"] == "SIGN_UP_CODE"]
    api.secrets |= set(sent)
    return sent


def test_the_sign_up_that_proves_the_mailbox_owns_the_account(api: Api, unique: str) -> None:
    victim = f"victim-{unique}@shop.example"
    api.secrets |= {MALLORY, VICTIM}
    first = sign_up(api, victim, password=MALLORY, name="Mallory", custom_plan="pro")
    (mallorys_code,) = codes(api, victim)

    second = sign_up(api, victim, password=VICTIM, name="Victim", custom_plan="free")
    assert second == first  # the same answer as for a new name: nothing tells a registration was pending
    sent = codes(api, victim)
    assert len(sent) == 2, "the victim's own sign-up sends the victim a code"
    assert confirm(api, victim, mallorys_code)["code"] == "CODE_MISMATCH"  # the older registration is gone
    assert confirm(api, victim, sent[-1])["userStatus"] == "CONFIRMED"

    assert sign_in(api, victim, MALLORY)["code"] == "NOT_AUTHORIZED"
    signed_in = sign_in(api, victim, VICTIM)
    assert signed_in["__typename"] == "SignInSuccess"
    token = claims(signed_in["tokens"]["idToken"])
    assert (token["name"], token["custom:plan"], token["email_verified"]) == ("Victim", "free", True)


def test_an_unconfirmed_registration_never_signs_its_maker_in(api: Api, unique: str) -> None:
    username = f"pending-{unique}@shop.example"
    api.secrets.add(MALLORY)
    sign_up(api, username, password=MALLORY, name="Mallory", custom_plan="pro")
    assert sign_in(api, username, MALLORY)["code"] == "USER_NOT_CONFIRMED"


def test_a_confirmed_account_is_never_replaced(api: Api, unique: str) -> None:
    username = f"owner-{unique}@shop.example"
    api.secrets |= {MALLORY, VICTIM}
    sign_up(api, username, password=VICTIM, name="Owner", custom_plan="pro")
    assert confirm(api, username, codes(api, username)[-1])["userStatus"] == "CONFIRMED"
    again = sign_up(api, username, password=MALLORY, name="Mallory", custom_plan="pro")
    assert again["nextStep"] == "CONFIRM_SIGN_UP"  # hidden, as for any taken name
    assert len(codes(api, username)) == 1  # and nothing is sent
    assert sign_in(api, username, VICTIM)["__typename"] == "SignInSuccess"
    assert sign_in(api, username, MALLORY)["code"] == "NOT_AUTHORIZED"


def test_no_limit_an_attacker_can_spend_switches_the_replacement_off(api: Api, unique: str) -> None:
    """The attacker registers the address, then uses up every resend of the name (and signs it up again
    and again): the owner's sign-up still replaces the registration, and only the owner's password opens
    the account."""
    victim = f"drained-{unique}@shop.example"
    api.secrets |= {MALLORY, VICTIM}
    sign_up(api, victim, password=MALLORY, name="Mallory", custom_plan="pro")
    drained = [resend(api, victim) for _ in range(6)]
    assert drained[-1]["code"] == "TOO_MANY_ATTEMPTS"  # resends_per_user (5) is used up
    for _ in range(3):
        sign_up(api, victim, password=MALLORY, name="Mallory", custom_plan="pro")
    before = len(codes(api, victim))
    sign_up(api, victim, password=VICTIM, name="Victim", custom_plan="free")
    sent = codes(api, victim)
    assert len(sent) == before + 1, "the owner's sign-up sends the owner a code"
    assert confirm(api, victim, sent[-1])["userStatus"] == "CONFIRMED"
    assert sign_in(api, victim, MALLORY)["code"] == "NOT_AUTHORIZED"
    assert sign_in(api, victim, VICTIM)["__typename"] == "SignInSuccess"
