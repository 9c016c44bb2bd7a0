"""The README's pictures of the hosted pages, taken in headless Chromium on the demo tenants.

`make screenshots` runs `python -m tests.browser.screenshots docs/screenshots` (never `make test`): it
serves the app on the embedded Cognito, walks both flows through the pages as the browser tests do, and
writes one PNG per page and language. It fails, writing nothing more, if a page asked for another host or
logged an error.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import httpx

from api.app import create_app
from api.clock import ManualClock
from api.settings import Settings
from tests.helpers import ACME_KEY, DEMO_POLICIES, keep_away_from_aws
from tests.helpers.browser import Browser, missing, started
from tests.helpers.client import Api, InProcessCognito
from tests.helpers.documents import INVITE_USER, attrs
from tests.helpers.flows import PASSWORD
from tests.helpers.page_flows import at, confirm, page_url, sign_in, sign_up
from tests.helpers.server import LiveServer


def take(page: Browser, out: Path, name: str, ready: Callable[[], object]) -> None:
    ready()
    problems = page.problems()
    if problems:
        raise SystemExit(f"{name}: the page misbehaved:\n" + "\n".join(problems))
    page.screenshot(out / f"{name}.png")
    print(f"wrote {out / name}.png")


def self_sign_up(page: Browser, api: Api, base: str, out: Path, lang: str) -> None:
    username = "hanako@shop.example" if lang == "ja" else "ann@shop.example"
    page.open(page_url(base, "shop", "sign-up", lang=lang))
    take(page, out, f"sign-up.{lang}", lambda: page.find("form#sign-up-form"))
    sign_up(page, {"username": username, "password": "short1"})
    take(page, out, f"sign-up-errors.{lang}", lambda: page.find('[id="error-password"]:not(:empty)'))
    name = "山田 花子" if lang == "ja" else "Ann Example"
    sign_up(page, {"username": username, "password": PASSWORD, "name": name})
    at(page, "/t/shop/confirm")
    take(page, out, f"confirm.{lang}", lambda: page.find("form#confirm-form"))
    confirm(page, api.last_code("shop", username))
    at(page, "/t/shop/sign-in")
    take(page, out, f"sign-in.{lang}", lambda: page.find("form#sign-in-form"))
    sign_in(page, username, PASSWORD)
    at(page, "/t/shop/done")
    take(page, out, f"done.{lang}", lambda: page.find("h1"))
    page.open(page_url(base, "shop", "forgot-password", lang=lang))
    take(page, out, f"forgot-password.{lang}", lambda: page.find("form#forgot-form"))


def first_login(page: Browser, api: Api, base: str, out: Path, lang: str) -> None:
    username = "tanaka" if lang == "ja" else "jdoe"
    variables = {
        "input": {
            "tenant": "acme",
            "username": username,
            "attributes": attrs(email=f"{username}@acme.example", custom_employee_id="E123456"),
        }
    }
    api.data(INVITE_USER, variables, token=ACME_KEY)
    page.open(page_url(base, "acme", "sign-in", lang=lang))
    sign_in(page, username, api.temporary_password("acme", username))
    take(page, out, f"first-login.{lang}", lambda: page.find("form#new-password-form"))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m tests.browser.screenshots DIRECTORY", file=sys.stderr)
        return 2
    reason = missing()
    if reason:
        print(reason, file=sys.stderr)
        return 1
    out = Path(argv[0])
    keep_away_from_aws()
    with tempfile.TemporaryDirectory() as scratch:
        policies = Path(scratch) / "policies"
        shutil.copytree(DEMO_POLICIES, policies)
        clock = ManualClock()
        app = create_app(Settings(policy_dir=policies), clock=clock)
        with (
            LiveServer(app) as server,
            httpx.Client(base_url=server.url, timeout=30) as http,
            started(Path(scratch) / "profile") as page,
        ):
            api = Api(http=http, cognito=InProcessCognito(http, clock))
            page.reset(origins={server.url})
            # A short window: each picture grows to its page's height (Browser.screenshot), no further.
            page.driver.set_window_size(1000, 640)
            for lang in ("en", "ja"):
                self_sign_up(page, api, server.url, out, lang)
                first_login(page, api, server.url, out, lang)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
