"""Server-side request forgery: in production a webhook whose host is or resolves to an internal address is
refused, every resolved address counts, and the connection goes to the address that was checked."""

from __future__ import annotations

import asyncio

import pytest

from api.events.model import DeliveryStatus
from api.events.schedule import RetrySchedule
from api.events.ssrf import AddressRefusedError, Guard, refusal
from api.events.wiring import build
from api.settings import Settings
from tests.helpers.events import delivery, running
from tests.helpers.receiver import Receiver

ONCE = RetrySchedule(steps=())  # one attempt, then FAILED

INTERNAL = [
    "127.0.0.1",
    "127.8.9.10",
    "10.1.2.3",
    "172.16.5.4",
    "192.168.1.1",
    "169.254.169.254",  # the cloud's metadata service
    "100.64.0.1",  # shared address space (carrier-grade NAT)
    "0.0.0.0",  # noqa: S104 - an address to refuse, not one to bind
    "224.0.0.1",
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fe80::1%eth0",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:10.0.0.1",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
    "fec0::1",  # site-local (deprecated, still routed inside some networks)
    "feff::1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "2a00:1450:4001::1"]


@pytest.mark.parametrize("address", INTERNAL)
def test_internal_addresses_are_refused(address: str) -> None:
    assert refusal(address) is not None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None


def test_the_reason_names_the_kind_of_address() -> None:
    assert refusal("127.0.0.1") == "resolves to a loopback address"
    assert refusal("::ffff:127.0.0.1") == "resolves to a loopback address"
    assert refusal("169.254.169.254") == "resolves to a link-local address"
    assert refusal("10.0.0.1") == "resolves to a private address"


class Resolver:
    """A DNS that answers from a table, and counts its lookups."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[tuple[str, int]] = []

    async def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append((host, port))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def targets(guard: Guard, url: str) -> list[str]:
    return [t.url for t in asyncio.run(guard.targets(url))]


def test_production_refuses_a_name_when_any_of_its_addresses_is_internal() -> None:
    for answer in (["10.0.0.7"], ["93.184.216.34", "10.0.0.7"], ["2606:4700:4700::1111", "::1"]):
        guard = Guard(refuse_internal=True, resolve=Resolver(answer))
        with pytest.raises(AddressRefusedError):
            targets(guard, "https://partner.example/hook")


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/hook", "https://[::1]:8080/hook", "https://[::ffff:127.0.0.1]/", "https://10.0.0.1/"]
)
def test_production_refuses_literal_internal_addresses_without_a_lookup(url: str) -> None:
    resolver = Resolver(["93.184.216.34"])
    with pytest.raises(AddressRefusedError):
        targets(Guard(refuse_internal=True, resolve=resolver), url)
    assert resolver.lookups == []


def test_the_target_is_the_checked_address_with_the_name_kept_for_host_and_tls() -> None:
    guard = Guard(refuse_internal=True, resolve=Resolver(["93.184.216.34", "2606:4700:4700::1111"]))
    first, second = asyncio.run(guard.targets("https://partner.example/events?v=1#frag"))
    assert first.url == "https://93.184.216.34:443/events?v=1"
    assert second.url == "https://[2606:4700:4700::1111]:443/events?v=1"
    assert first.host_header == "partner.example"
    assert first.sni_hostname == "partner.example"
    (on_port,) = asyncio.run(
        Guard(refuse_internal=False, resolve=Resolver(["93.184.216.34"])).targets("http://partner.example:8080/e")
    )
    assert (on_port.url, on_port.host_header, on_port.sni_hostname) == (
        "http://93.184.216.34:8080/e",
        "partner.example:8080",
        None,
    )


def test_development_allows_loopback() -> None:
    (target,) = asyncio.run(Guard(refuse_internal=False).targets("http://127.0.0.1:9/hook"))
    assert target.address == "127.0.0.1"


def test_production_never_sends_to_a_loopback_receiver(receiver: Receiver) -> None:
    url = receiver.url().replace("http:", "https:")  # production refuses http before any address
    sent = [delivery(url), delivery(url.replace("127.0.0.1", "[::ffff:127.0.0.1]"))]
    named = Resolver(["127.0.0.1"])  # a public-looking name that resolves to loopback
    sent.append(delivery(f"https://partner.example:{receiver.port}/hook"))
    with running(build(Settings(production=True), schedule=ONCE, resolve=named)) as events:
        events.enqueue(*sent)
        dead = [events.settled(d.id, DeliveryStatus.FAILED) for d in sent]
    assert receiver.received() == []
    assert {d.last_error for d in dead} == {"refused: resolves to a loopback address"}
    assert named.lookups == [("partner.example", receiver.port)]


def test_the_connection_goes_to_the_address_resolved_once_per_attempt(receiver: Receiver) -> None:
    """The name does not exist in any DNS: only the pinned address reaches the receiver, with the name as Host.
    A second lookup (the connect's own) would have found the other answer, where nothing listens."""
    resolver = Resolver(["127.0.0.1"], ["127.0.0.2"])
    sent = delivery(f"http://partner.invalid:{receiver.port}/hook")
    with running(build(Settings(), schedule=ONCE, resolve=resolver)) as events:
        events.enqueue(sent)
        settled = events.settled(sent.id, DeliveryStatus.DELIVERED)
    (got,) = receiver.received()
    assert got.headers["host"] == f"partner.invalid:{receiver.port}"
    assert got.verified
    assert settled.attempts == 1
    assert resolver.lookups == [("partner.invalid", receiver.port)]


def test_a_name_that_does_not_resolve_is_a_failed_attempt(receiver: Receiver) -> None:
    async def nowhere(host: str, port: int) -> list[str]:
        raise OSError("Name or service not known")

    sent = delivery("https://nowhere.invalid/hook")
    with running(build(Settings(production=True), schedule=ONCE, resolve=nowhere)) as events:
        events.enqueue(sent)
        dead = events.settled(sent.id, DeliveryStatus.FAILED)
    assert dead.last_error == "refused: its host name did not resolve"


def test_an_internationalized_host_is_resolved_sent_and_named_in_its_idna_form() -> None:
    resolver = Resolver(["93.184.216.34"])
    (target,) = asyncio.run(Guard(refuse_internal=True, resolve=resolver).targets("https://bücher.example/h"))
    assert resolver.lookups == [("xn--bcher-kva.example", 443)]
    assert (target.host_header, target.sni_hostname) == ("xn--bcher-kva.example", "xn--bcher-kva.example")
    with pytest.raises(AddressRefusedError, match="internationalized"):
        targets(Guard(refuse_internal=False, resolve=resolver), "https://b\u00fc" + "a" * 70 + ".example/h")


def test_an_internationalized_host_reaches_a_receiver_without_an_error(receiver: Receiver) -> None:
    resolver = Resolver(["127.0.0.1"])
    sent = delivery(f"http://bücher.example:{receiver.port}/hook")
    with running(build(Settings(), schedule=ONCE, resolve=resolver)) as events:
        events.enqueue(sent)
        settled = events.settled(sent.id, DeliveryStatus.DELIVERED)
    (got,) = receiver.received()
    assert got.headers["host"] == f"xn--bcher-kva.example:{receiver.port}"
    assert settled.attempts == 1


def test_port_zero_is_refused_not_taken_for_the_default() -> None:
    for refuse in (True, False):
        with pytest.raises(AddressRefusedError, match="port is 0"):
            targets(Guard(refuse_internal=refuse, resolve=Resolver(["93.184.216.34"])), "https://partner.example:0/h")


def test_production_refuses_http_at_send_time() -> None:
    resolver = Resolver(["93.184.216.34"])
    with pytest.raises(AddressRefusedError, match="https only"):
        targets(Guard(refuse_internal=True, resolve=resolver), "http://partner.example/h")
    assert targets(Guard(refuse_internal=False, resolve=resolver), "http://partner.example/h")
