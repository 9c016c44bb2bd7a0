"""The embedded Cognito under concurrent calls, as the adapter's thread pool and `regapi cognito serve`'s
threaded server make them: 32 clients released together by a barrier, each signing up new users one
after another, while other threads page through ListUsers and read users back.

Before the request lock, about 2 in 100 such sign-ups failed with moto's "OrderedDict mutated during
iteration" (a scan of the users while another thread added one), which the API masks as "Unexpected
error.". Now every call succeeds, every user exists once, and each got exactly one code.
"""

from __future__ import annotations

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from api.clock import ManualClock
from api.cognito.embedded import EmbeddedCognito
from api.cognito.embedded.outbox import Outbox

CLIENTS = 32
SIGN_UPS_EACH = 25
READERS = 4
PASSWORD = "Burst pass 1234"


class Pool:
    """A pool whose usernames are e-mail addresses compared case-insensitively: as regapi provisions the
    shop tenant's (the address is the username), or, with `alias`, with addresses as username aliases
    (Cognito's UsernameAttributes), which moto scanned for on every lookup."""

    def __init__(self, client: Any, attach: Callable[[str], None] = lambda pool_id: None, alias: bool = True) -> None:
        self.client = client
        self.id: str = client.create_user_pool(
            PoolName=f"burst-{uuid.uuid4().hex[:8]}",
            **({"UsernameAttributes": ["email"]} if alias else {}),
            UsernameConfiguration={"CaseSensitive": False},
            AutoVerifiedAttributes=["email"],
            Policies={"PasswordPolicy": {"MinimumLength": 8}},
        )["UserPool"]["Id"]
        attach(self.id)
        self.client_id: str = client.create_user_pool_client(UserPoolId=self.id, ClientName="burst")["UserPoolClient"][
            "ClientId"
        ]

    def sign_up(self, email: str) -> None:
        address = [{"Name": "email", "Value": email}]
        self.client.sign_up(ClientId=self.client_id, Username=email, Password=PASSWORD, UserAttributes=address)

    def users(self) -> Iterator[dict[str, Any]]:
        params: dict[str, Any] = {"UserPoolId": self.id}
        while True:
            page = self.client.list_users(**params)
            yield from page["Users"]
            if not page.get("PaginationToken"):
                return
            params["PaginationToken"] = page["PaginationToken"]


def released_together(work: list[list[Callable[[], None]]], readers: list[Callable[[], None]]) -> list[BaseException]:
    """Run each list of calls of `work` in its own thread, one call after another, all threads released
    by one barrier, with `readers` looping beside them until the work is done; every exception raised."""
    barrier = threading.Barrier(len(work) + len(readers))
    done = threading.Event()
    errors: list[BaseException] = []

    def run(calls: list[Callable[[], None]], repeat: bool) -> None:
        try:
            barrier.wait(30)
        except threading.BrokenBarrierError as exc:
            errors.append(exc)
            return
        while True:
            for call in calls:
                try:
                    call()
                except Exception as exc:  # every failed call counts; the thread goes on with the next
                    errors.append(exc)
            if not repeat or done.is_set():
                return

    writers = [threading.Thread(target=run, args=(calls, False)) for calls in work]
    looping = [threading.Thread(target=run, args=([read], True)) for read in readers]
    for thread in writers + looping:
        thread.start()
    for thread in writers:
        thread.join(60)
    done.set()
    for thread in looping:
        thread.join(60)
    return errors


def sign_ups_burst(pool: Pool, messages: Callable[[str], list[dict[str, Any]]]) -> None:
    """The burst, and what must hold after it; `messages(username)` reads the pool's outbox."""
    emails = [[f"c{c}-n{n}-{uuid.uuid4().hex[:6]}@burst.example" for n in range(SIGN_UPS_EACH)] for c in range(CLIENTS)]
    first = emails[0][0]

    def sign_up(email: str) -> Callable[[], None]:
        return lambda: pool.sign_up(email)

    def read_back() -> None:
        listing = [user["Username"] for user in pool.users()]
        assert len(listing) == len(set(listing)), "a listing shows each user once, however many are added"
        for name in (first.upper(), "nobody@burst.example"):  # found in any letter case; and no one
            try:
                pool.client.admin_get_user(UserPoolId=pool.id, Username=name)
            except ClientError as error:  # not signed up (yet): the only refusal a reader may see
                if error.response["Error"]["Code"] != "UserNotFoundException":
                    raise

    errors = released_together([[sign_up(email) for email in mine] for mine in emails], [read_back] * READERS)
    assert not errors, f"{len(errors)} calls failed, the first: {errors[0]!r}"

    expected = {email for mine in emails for email in mine}
    listed = list(pool.users())
    found = Counter(next(a["Value"] for a in user["Attributes"] if a["Name"] == "email") for user in listed)
    assert set(found) == expected, "every user exists"
    assert set(found.values()) == {1}, "once"
    assert len({user["Username"] for user in listed}) == len(expected)
    for user in listed:
        sent = [m for m in messages(user["Username"]) if m["kind"] == "SIGN_UP_CODE"]
        assert len(sent) == 1, f"{len(sent)} codes for one user"
    # Every user is found by its address, in any letter case, as Cognito finds it.
    for email in (first, first.upper(), emails[-1][-1]):
        user = pool.client.admin_get_user(UserPoolId=pool.id, Username=email)
        assert {"Name": "email", "Value": email.lower()} in user["UserAttributes"]


def one_name_burst(pool: Pool, messages: Callable[[str], list[dict[str, Any]]]) -> None:
    """Every client signs up the same address (in its own letter case): one user, one code."""
    email = f"same-{uuid.uuid4().hex[:8]}@burst.example"
    outcomes: list[str] = []

    def client(n: int) -> Callable[[], None]:
        def sign_up() -> None:
            try:
                pool.sign_up(email.upper() if n % 2 else email)
                outcomes.append("created")
            except ClientError as error:
                outcomes.append(error.response["Error"]["Code"])

        return sign_up

    errors = released_together([[client(n)] for n in range(CLIENTS)], [])
    assert not errors, f"{len(errors)} calls failed, the first: {errors[0]!r}"
    assert Counter(outcomes) == Counter({"created": 1, "UsernameExistsException": CLIENTS - 1})
    listed = list(pool.users())
    assert len(listed) == 1
    assert len(messages(listed[0]["Username"])) == 1


@pytest.fixture(scope="module")
def embedded() -> EmbeddedCognito:
    return EmbeddedCognito(clock=ManualClock(), outbox=Outbox(console=None))


def in_process_outbox(embedded: EmbeddedCognito) -> Callable[[str], list[dict[str, Any]]]:
    return lambda username: [m.to_json() for m in embedded.outbox.messages(username=username)]


@pytest.mark.parametrize("alias", [False, True], ids=["address as username", "address as alias"])
def test_sign_ups_released_together_all_succeed_in_process(embedded: EmbeddedCognito, alias: bool) -> None:
    sign_ups_burst(Pool(embedded.client, embedded.attach, alias), in_process_outbox(embedded))


def test_one_username_released_together_makes_one_user_in_process(embedded: EmbeddedCognito) -> None:
    one_name_burst(Pool(embedded.client, embedded.attach), in_process_outbox(embedded))


def test_sign_ups_released_together_all_succeed_on_the_standalone_server(standalone_cognito: str) -> None:
    config = Config(max_pool_connections=CLIENTS + READERS, retries={"mode": "standard", "max_attempts": 1})
    client = boto3.client("cognito-idp", region_name="us-east-1", endpoint_url=standalone_cognito, config=config)
    with httpx.Client(base_url=standalone_cognito) as http:
        sign_ups_burst(Pool(client), lambda username: http.get("/outbox", params={"username": username}).json())


def test_refreshes_and_sign_outs_released_together_in_process(embedded: EmbeddedCognito) -> None:
    """Every client refreshes its tokens and reads itself back, then signs out, while readers page through
    the pool's confirmed users: every call answers as it would alone, and each sign-out ends exactly its
    user's tokens."""
    pool = Pool(embedded.client, embedded.attach, alias=False)
    names = [f"t{n}-{uuid.uuid4().hex[:6]}@burst.example" for n in range(CLIENTS)]
    signed_in: dict[str, dict[str, Any]] = {}
    for name in names:
        embedded.client.admin_create_user(UserPoolId=pool.id, Username=name, MessageAction="SUPPRESS")
        embedded.client.admin_set_user_password(UserPoolId=pool.id, Username=name, Password=PASSWORD, Permanent=True)
        signed_in[name] = embedded.client.initiate_auth(
            ClientId=pool.client_id,
            AuthFlow="USER_PASSWORD_AUTH",
            AuthParameters={"USERNAME": name, "PASSWORD": PASSWORD},
        )["AuthenticationResult"]

    def session(name: str) -> list[Callable[[], None]]:
        refresh = {"REFRESH_TOKEN": signed_in[name]["RefreshToken"]}

        def refresh_and_read() -> None:
            fresh = embedded.client.initiate_auth(
                ClientId=pool.client_id, AuthFlow="REFRESH_TOKEN_AUTH", AuthParameters=refresh
            )["AuthenticationResult"]
            assert embedded.client.get_user(AccessToken=fresh["AccessToken"])["Username"] == name

        def sign_out() -> None:
            embedded.client.global_sign_out(AccessToken=signed_in[name]["AccessToken"])

        return [refresh_and_read] * 5 + [sign_out]

    def read_confirmed() -> None:
        params: dict[str, Any] = {"UserPoolId": pool.id, "Limit": 7, "Filter": 'cognito:user_status = "CONFIRMED"'}
        seen: list[str] = []
        while True:
            page = embedded.client.list_users(**params)
            seen += [user["Username"] for user in page["Users"]]
            if not page.get("PaginationToken"):
                break
            params["PaginationToken"] = page["PaginationToken"]
        assert sorted(seen) == sorted(names)

    errors = released_together([session(name) for name in names], [read_confirmed] * READERS)
    assert not errors, f"{len(errors)} calls failed, the first: {errors[0]!r}"
    for name in names:
        with pytest.raises(ClientError) as refused:
            embedded.client.get_user(AccessToken=signed_in[name]["AccessToken"])
        assert refused.value.response["Error"]["Message"] == "Access Token has been revoked"
