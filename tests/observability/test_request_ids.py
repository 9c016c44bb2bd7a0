"""Each request's id: a well-formed X-Request-ID is kept, anything else replaced; the answer carries it and
so does every log line of the request, those written in the threads that call Cognito included."""

from __future__ import annotations

import re
import threading

import pytest

from api.observability.request_ids import chosen
from tests.helpers.client import Api
from tests.helpers.documents import SIGN_UP, attrs

GENERATED = re.compile(r"[0-9a-f]{32}")


def sign_up(api: Api, request_id: str | bytes | None, username: str) -> tuple[str, int]:
    variables = {"input": {"tenant": "shop", "username": username, "password": "short", "attributes": attrs()}}
    headers = {"X-Request-ID": request_id} if request_id is not None else {}
    response = api.http.post("/graphql", json={"query": SIGN_UP, "variables": variables}, headers=headers)
    assert response.json()["data"]["signUp"]["__typename"] == "PolicyDenied"
    return response.headers["x-request-id"], response.status_code


def test_a_well_formed_id_is_kept_and_carried_by_the_requests_log_lines(
    embedded_api: Api, log_capture: list[str], unique: str
) -> None:
    since = len(log_capture)
    request_id = f"req-{unique}.1:a_b"
    assert sign_up(embedded_api, request_id, f"rid-{unique}@shop.example")[0] == request_id
    decision = [line for line in log_capture[since:] if "decision tenant=shop" in line]
    assert decision
    assert all(line.endswith(f" request_id={request_id}") for line in decision)


@pytest.mark.parametrize("sent", [None, "", "a b", "x" * 129, "id\u00e9", "a=b", "id;tenant=acme"])
def test_anything_else_is_replaced_by_an_id_of_its_own(embedded_api: Api, unique: str, sent: str | None) -> None:
    raw = sent.encode("utf-8") if sent is not None else None  # bytes, as a client may send them
    answered, _ = sign_up(embedded_api, raw, f"gen-{unique}@shop.example")
    assert GENERATED.fullmatch(answered)


def test_the_rule_itself() -> None:
    assert chosen(b"trace-1.2:3_4") == "trace-1.2:3_4"
    assert GENERATED.fullmatch(chosen(b"has space"))
    assert chosen(None) != chosen(None)  # made up afresh for each request


def test_concurrent_requests_keep_their_own_ids(embedded_api: Api, log_capture: list[str], unique: str) -> None:
    since = len(log_capture)
    ids = [f"par-{unique}-{n}" for n in range(6)]
    barrier = threading.Barrier(len(ids))

    def call(request_id: str) -> None:
        barrier.wait()
        sign_up(embedded_api, request_id, f"{request_id}@shop.example")

    threads = [threading.Thread(target=call, args=(request_id,)) for request_id in ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    decisions = [line for line in log_capture[since:] if "decision tenant=shop" in line]
    for request_id in ids:  # one decision per request: each carries its own request's id, none another's
        assert sum(line.endswith(f" request_id={request_id}") for line in decisions) == 1
