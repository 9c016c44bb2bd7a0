"""Hot reload over HTTP: operators edit policy files while the API serves."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest

from api.app import create_app
from api.clock import ManualClock
from api.cognito.port import PoolBinding
from api.policy import Policy
from api.settings import Settings
from tests.helpers import DEMO_POLICIES
from tests.helpers.documents import REGISTRATION_FORM, SIGN_UP, attrs
from tests.helpers.recorder import record
from tests.helpers.server import LiveServer


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[httpx.Client, Path]]:
    for path in DEMO_POLICIES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    app = create_app(Settings(policy_dir=tmp_path), clock=ManualClock())
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        yield http, tmp_path


def eventually(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    """Poll until `check` returns something truthy; the watcher reacts in well under a second."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.05)


def gql(http: httpx.Client, query: str, variables: dict[str, Any]) -> Any:
    return record(http.post("/graphql", json={"query": query, "variables": variables}).json())


def form(http: httpx.Client, tenant: str) -> Any:
    return gql(http, REGISTRATION_FORM, {"tenant": tenant, "operation": "SIGN_UP"})


def sign_up_acme(http: httpx.Client, username: str) -> Any:
    variables = {
        "input": {
            "tenant": "acme",
            "username": username,
            "password": "Str0ng-Passw0rd!",
            "attributes": attrs(email=f"{username}@acme.example"),
        }
    }
    return gql(http, SIGN_UP, variables)["data"]["signUp"]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_switching_a_tenant_to_self_sign_up_takes_effect_without_restart(served: tuple[httpx.Client, Path]) -> None:
    http, directory = served
    before = sign_up_acme(http, "early")
    assert before["code"] == "SELF_SIGNUP_DISABLED"
    edit(directory / "acme.yaml", "self_signup: false", "self_signup: true")
    assert eventually(lambda: form(http, "acme")["data"]["registrationForm"]["enabled"])
    after = sign_up_acme(http, "later")
    # The embedded pool followed the file too: Cognito itself now accepts the sign-up.
    assert after["__typename"] == "SignUpSuccess", after
    revision = form(http, "acme")["data"]["registrationForm"]["policyRevision"]
    assert revision != before["policyRevision"]


def test_a_relative_policy_directory_reloads_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`make run` serves `policies`, a relative path; the watcher names files by absolute path."""
    (tmp_path / "policies").mkdir()
    for path in DEMO_POLICIES.glob("*.yaml"):
        shutil.copy(path, tmp_path / "policies" / path.name)
    monkeypatch.chdir(tmp_path)
    app = create_app(Settings(policy_dir=Path("policies")), clock=ManualClock())
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        edit(Path("policies/acme.yaml"), "self_signup: false", "self_signup: true")
        assert eventually(lambda: form(http, "acme")["data"]["registrationForm"]["enabled"])
        assert http.get("/readyz").json()["refused"] == []


def test_a_broken_new_file_says_its_tenant_is_not_served(
    served: tuple[httpx.Client, Path], log_capture: list[str]
) -> None:
    http, directory = served
    text = (directory / "shop.yaml").read_text(encoding="utf-8").replace("user_pool: shop", "user_pool: outlet")
    (directory / "outlet.yaml").write_text(text + "unknown_key: 1\n", encoding="utf-8")
    assert eventually(lambda: http.get("/readyz").json()["refused"])
    lines = [line for line in log_capture if "outlet.yaml" in line and "policy refused" in line]
    assert lines
    assert all("tenant 'outlet' is not served" in line for line in lines), lines
    assert not any("last good version" in line for line in lines)


def test_new_and_removed_files_add_and_remove_tenants(served: tuple[httpx.Client, Path]) -> None:
    http, directory = served
    text = (directory / "shop.yaml").read_text(encoding="utf-8").replace("user_pool: shop", "user_pool: outlet")
    (directory / "outlet.yaml").write_text(text, encoding="utf-8")
    assert eventually(lambda: "data" in form(http, "outlet") and form(http, "outlet")["data"])
    (directory / "outlet.yaml").unlink()

    def gone() -> bool:
        errors = form(http, "outlet").get("errors")
        return bool(errors) and errors[0]["extensions"]["code"] == "TENANT_NOT_FOUND"

    assert eventually(gone)
    assert form(http, "shop")["data"]["registrationForm"]["tenant"] == "shop"


def test_an_invalid_file_is_refused_and_the_last_good_version_keeps_serving(served: tuple[httpx.Client, Path]) -> None:
    http, directory = served
    good = form(http, "shop")["data"]["registrationForm"]["policyRevision"]
    demo_tenants = len(list(DEMO_POLICIES.glob("*.yaml")))
    assert http.get("/readyz").json() == {"status": "ready", "tenants": demo_tenants, "refused": []}
    edit(directory / "shop.yaml", "  self_signup: true", "  self_signup: true\n  selfsignup: false")

    def refused() -> Any:
        body = http.get("/readyz").json()
        return body if body["refused"] else None

    body = eventually(refused)
    assert body["status"] == "degraded"
    (error,) = body["refused"]
    assert error["file"].endswith("shop.yaml")
    assert (error["key"], error["message"]) == ("registration.selfsignup", "unknown key")
    assert error["line"] > 1
    assert form(http, "shop")["data"]["registrationForm"]["policyRevision"] == good
    edit(directory / "shop.yaml", "\n  selfsignup: false", "")
    assert eventually(lambda: http.get("/readyz").json()["status"] == "ready")


def test_a_webhook_whose_secret_is_unset_is_refused_until_it_is_set(
    served: tuple[httpx.Client, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    http, directory = served
    good = form(http, "shop")["data"]["registrationForm"]["policyRevision"]
    monkeypatch.delenv("SHOP_RELOAD_WEBHOOK_SECRET", raising=False)
    hook = (
        "events:\n  webhooks:\n    - url: https://crm.shop.example/events\n"
        "      secret_env: SHOP_RELOAD_WEBHOOK_SECRET\n      events: [user.signed_up]\n"
    )
    path = directory / "shop.yaml"
    path.write_text(path.read_text(encoding="utf-8") + hook, encoding="utf-8")
    (error,) = eventually(lambda: http.get("/readyz").json()["refused"])
    assert (Path(error["file"]).name, error["key"]) == ("shop.yaml", "events.webhooks[0].secret_env")
    assert error["line"] == len(path.read_text(encoding="utf-8").splitlines()) - 1
    assert error["message"] == "the variable SHOP_RELOAD_WEBHOOK_SECRET is not set"
    assert form(http, "shop")["data"]["registrationForm"]["policyRevision"] == good  # the last good version
    # Set, the next change of the file applies it: the variable is read as the file is checked.
    monkeypatch.setenv("SHOP_RELOAD_WEBHOOK_SECRET", "whsec_" + "QUJD" * 8)
    path.write_text(path.read_text(encoding="utf-8") + "# the secret is set now\n", encoding="utf-8")
    assert eventually(lambda: http.get("/readyz").json()["status"] == "ready")
    assert form(http, "shop")["data"]["registrationForm"]["policyRevision"] != good


def refusals(http: httpx.Client) -> dict[str, str]:
    """The files /readyz lists as refused, by file name, with the key each names."""
    return {Path(r["file"]).name: r["key"] for r in http.get("/readyz").json()["refused"]}


def test_a_copied_file_does_not_join_its_pool_until_every_file_declares_the_share(
    served: tuple[httpx.Client, Path],
) -> None:
    http, directory = served
    shutil.copy(directory / "shop.yaml", directory / "boutique.yaml")  # names pool "shop" too, undeclared
    assert eventually(lambda: refusals(http) == {"boutique.yaml": "cognito.shared"})
    assert form(http, "boutique")["errors"]  # not served: it would have answered shop's users' sign-ups
    assert form(http, "shop")["data"]["registrationForm"]["enabled"]  # the live tenant keeps serving
    # Declared by one side only, the share is still refused: the newcomer stays out.
    edit(directory / "boutique.yaml", "  user_pool: shop\n", "  user_pool: shop\n  shared: true\n")
    assert eventually(lambda: "shop (" in str(http.get("/readyz").json()["refused"]))
    assert form(http, "boutique")["errors"]
    # Declared in every file naming the pool: the refused file is tried again and serves.
    edit(directory / "shop.yaml", "  user_pool: shop\n", "  user_pool: shop\n  shared: true\n")
    assert eventually(lambda: http.get("/readyz").json()["status"] == "ready")
    assert form(http, "boutique")["data"]["registrationForm"]["enabled"]
    # A member withdrawing its declaration is refused, and its last good version keeps serving.
    edit(directory / "shop.yaml", "  shared: true\n", "")
    assert eventually(lambda: refusals(http) == {"shop.yaml": "cognito.shared"})
    assert form(http, "shop")["data"]["registrationForm"]["enabled"]


def test_a_file_refused_for_sharing_serves_once_the_other_leaves_the_pool(tmp_path: Path) -> None:
    from api.policy import load_directory  # noqa: PLC0415
    from api.policy.store import PolicyStore  # noqa: PLC0415
    from api.reload import PolicyReloader  # noqa: PLC0415

    for name in ("shop", "outlet"):
        shutil.copy(DEMO_POLICIES / "shop.yaml", tmp_path / f"{name}.yaml")
    store = PolicyStore.admitting(load_directory(tmp_path))  # start-up: nobody knows the newcomer
    assert set(store) == set()
    assert set(store.errors) == {tmp_path / "shop.yaml", tmp_path / "outlet.yaml"}
    reloader = PolicyReloader(tmp_path, store, NamedPools(), {})
    edit(tmp_path / "outlet.yaml", "user_pool: shop", "user_pool: outlet")
    reloader.apply(tmp_path / "outlet.yaml")
    assert set(store) == {"outlet", "shop"}  # shop, untouched on disk, was tried again
    assert store.errors == {}


class NamedPools:
    """A binder without a Cognito behind it: the pool's name stands for its ids."""

    def bind(self, name: str, policies: Sequence[Policy]) -> PoolBinding:
        return PoolBinding(name, name, name)


def test_a_change_reloads_only_its_own_file(tmp_path: Path) -> None:
    from api.policy import load_directory  # noqa: PLC0415
    from api.policy.store import PolicyStore  # noqa: PLC0415
    from api.reload import PolicyReloader  # noqa: PLC0415

    for path in DEMO_POLICIES.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    store = PolicyStore(load_directory(tmp_path))
    acme = store["acme"]
    reloader = PolicyReloader(tmp_path, store, NamedPools(), {})
    edit(tmp_path / "shop.yaml", "min_length: 10", "min_length: 11")
    reloader.apply(tmp_path / "shop.yaml")
    assert store["acme"] is acme  # untouched: not even re-read
    assert store["shop"].policy.password.min_length == 11
    reloader.apply(tmp_path / "notes.txt")  # not a policy file: ignored
    assert set(store) == {path.stem for path in DEMO_POLICIES.glob("*.yaml")}


def test_a_hostile_file_is_refused_and_reload_goes_on(served: tuple[httpx.Client, Path]) -> None:
    http, directory = served
    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + n)}: &{chr(98 + n)} [{', '.join([f'*{chr(97 + n)}'] * 10)}]\n" for n in range(12)
    )
    (directory / "laughs.yaml").write_text(laughs, encoding="utf-8")
    (directory / "deep.yaml").write_text("a: " + "[" * 3000 + "]" * 3000 + "\n", encoding="utf-8")

    def both_refused() -> Any:
        refused = http.get("/readyz").json()["refused"]
        return refused if {Path(e["file"]).name for e in refused} == {"laughs.yaml", "deep.yaml"} else None

    refused = eventually(both_refused)
    assert refused, http.get("/readyz").json()
    messages = " ".join(e["message"] for e in refused)
    assert "aliases" in messages
    edit(directory / "acme.yaml", "self_signup: false", "self_signup: true")
    assert eventually(lambda: form(http, "acme")["data"]["registrationForm"]["enabled"])


class RecordingPools(NamedPools):
    def __init__(self) -> None:
        self.bound: list[tuple[str, int]] = []  # pool name, how many tenants' rules

    def bind(self, name: str, policies: Sequence[Policy]) -> PoolBinding:
        self.bound.append((name, len(policies)))
        return super().bind(name, policies)


def test_a_tenant_leaving_a_shared_pool_leaves_it_to_the_rules_of_the_others(tmp_path: Path) -> None:
    from api.policy import load_directory  # noqa: PLC0415
    from api.policy.store import PolicyStore  # noqa: PLC0415
    from api.reload import PolicyReloader  # noqa: PLC0415

    declared = (
        (DEMO_POLICIES / "shop.yaml")
        .read_text(encoding="utf-8")
        .replace("pool: shop\n", "pool: shop\n  shared: true\n")
    )
    for name in ("shop", "blog"):
        (tmp_path / f"{name}.yaml").write_text(declared, encoding="utf-8")
    store = PolicyStore.admitting(load_directory(tmp_path))
    binder = RecordingPools()
    reloader = PolicyReloader(tmp_path, store, binder, {})
    edit(tmp_path / "blog.yaml", "user_pool: shop", "user_pool: blog")
    reloader.apply(tmp_path / "blog.yaml")
    # blog may have been the tenant that kept sign-up open: pool "shop" is bound again for shop alone.
    assert binder.bound == [("blog", 1), ("shop", 1)]
    assert store.pool_tenants("shop") == {"shop"}


def test_an_attribute_added_by_reload_can_be_signed_up_with(served: tuple[httpx.Client, Path]) -> None:
    # The app client may write only what the policies let users write: it follows the files too.
    http, directory = served
    edit(directory / "shop.yaml", "  custom:plan:\n", "  nickname:\n    max_length: 20\n  custom:plan:\n")
    assert eventually(lambda: "nickname" in str(form(http, "shop")))
    values = attrs(name="Nick Example", nickname="nick", custom_plan="free")
    variables = {
        "input": {"tenant": "shop", "username": "nick@shop.example", "password": "long enough 1", "attributes": values}
    }
    assert gql(http, SIGN_UP, variables)["data"]["signUp"]["__typename"] == "SignUpSuccess"


def test_a_file_broken_at_start_up_serves_once_fixed(tmp_path: Path) -> None:
    good = (DEMO_POLICIES / "acme.yaml").read_text(encoding="utf-8")
    (tmp_path / "acme.yaml").write_text(good.replace("self_signup: false", "self_signup: nope"), encoding="utf-8")
    shutil.copy(DEMO_POLICIES / "shop.yaml", tmp_path / "shop.yaml")
    app = create_app(Settings(policy_dir=tmp_path), clock=ManualClock())
    with LiveServer(app) as server, httpx.Client(base_url=server.url, timeout=30) as http:
        assert http.get("/readyz").json()["status"] == "degraded"
        (tmp_path / "acme.yaml").write_text(good, encoding="utf-8")
        assert eventually(lambda: http.get("/readyz").json()["status"] == "ready")
        assert form(http, "acme")["data"]["registrationForm"]["enabled"] is False
