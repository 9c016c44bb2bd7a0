"""Headless Chromium driven by Selenium, for the hosted pages' tests: the browser, what a page did on the
network and in its console, axe-core run in the page, and screenshots.

Debian's chromium and chromium-driver (`make test` installs them, as it installs redis-server). Selenium is
handed both paths, so Selenium Manager never looks for (or downloads) a browser or driver of its own. The
flags keep Chromium off the network: this machine's network is closed, and without them Chromium tries
Google's hosts at every start. Every host name but loopback's resolves to nothing, so a page that asks for
another host fails at once instead of waiting on DNS; the request is still seen and reported.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.wait import WebDriverWait

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
VENDOR = Path(__file__).resolve().parent / "vendor"
# axe-core 4.14.1, as `npm pack axe-core@4` gave it; its licences (MPL-2.0, and the bundled code's) beside it.
AXE = VENDOR / "axe-core" / "axe.min.js"

FLAGS = (
    "--headless",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    # What keeps Chromium off the network (see /work/.library/env: the probe's known-good set).
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-features=Translate,OptimizationHints,MediaRouter,AutofillServerCommunication",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--lang=en-US",
    "--window-size=1000,1100",
)
DEFAULT_LANGUAGES = "en-US,en"
WAIT_SECONDS = 15  # an upper bound for a page to react, never a measure of speed
# axe-core's impacts the tests refuse; "minor" and "moderate" findings are printed, not failed on.
REFUSED_IMPACTS = frozenset({"serious", "critical"})
# Not network requests: a data: image (the CSP's img-src allows it) and the blank page between tests.
LOCAL_SCHEMES = frozenset({"data", "blob", "about"})


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    absent = [path for path in (CHROMIUM, CHROMEDRIVER) if shutil.which(path) is None]
    if absent:
        return f"{' and '.join(absent)} not installed (make test installs Debian's chromium and chromium-driver)"
    return None


def origin(url: str) -> str:
    parts = urlsplit(str(url))
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class Browser:
    """One Chromium for the whole session, reused page after page; `reset` between tests."""

    driver: webdriver.Chrome
    origins: set[str] = field(default_factory=set)  # where pages may send requests: regapi's own
    user_agent: str = ""

    # ------------------------------------------------------------------ between tests

    def reset(self, *, origins: set[str], address: str | None = None) -> None:
        """A blank page, no cookies or storage, English, and `address` as this test's client address (through
        the trusted local proxy, as `client_address` does for the test's own API calls: the per-address
        attempt limits then count this test's pages alone). Forgets what earlier tests logged."""
        self.driver.get("about:blank")
        self.driver.delete_all_cookies()
        self.driver.execute_cdp_cmd("Storage.clearDataForOrigin", {"origin": "*", "storageTypes": "all"})
        headers = {"X-Forwarded-For": address} if address else {}
        self.driver.execute_cdp_cmd("Network.enable", {})
        self.driver.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": headers})
        self.languages(DEFAULT_LANGUAGES)
        self.origins = {origin(url) for url in origins}
        self.problems()

    def languages(self, accept_language: str) -> None:
        """The browser's languages: its Accept-Language header and navigator.languages, as a person's
        settings would set them."""
        self.driver.execute_cdp_cmd(
            "Emulation.setUserAgentOverride", {"userAgent": self.user_agent, "acceptLanguage": accept_language}
        )

    def problems(self) -> list[str]:
        """What went wrong since the last call: requests to hosts other than regapi's (a script, style, font,
        image or call the CSP blocked is still requested, and seen here), console errors, CSP violations."""
        found: list[str] = []
        for entry in self.driver.get_log("performance"):
            message = json.loads(entry["message"])["message"]
            url = _request_url(message)
            if url and urlsplit(url).scheme not in LOCAL_SCHEMES and origin(url) not in self.origins:
                found.append(f"request to a host other than regapi's: {url}")
        for entry in self.driver.get_log("browser"):
            if entry["level"] == "SEVERE" or entry.get("source") == "security":
                found.append(f"console {entry['level'].lower()} ({entry.get('source')}): {entry['message']}")
        return found

    # ------------------------------------------------------------------ using a page

    def open(self, url: str) -> None:
        self.driver.get(url)

    def find(self, css: str) -> WebElement:
        """The element, once it is shown (the pages render their forms from registrationForm)."""
        wait = WebDriverWait(self.driver, WAIT_SECONDS)
        element: WebElement = wait.until(expected_conditions.visibility_of_element_located((By.CSS_SELECTOR, css)))
        return element

    def field(self, name: str) -> WebElement:
        """The input of a field, by the pages' contract: id="field-<name>" (names may hold a colon)."""
        return self.find(f'[id="field-{name}"]')

    def fill(self, values: Mapping[str, str]) -> None:
        for name, value in values.items():
            element = self.field(name)
            if element.tag_name == "select":
                element.find_element(By.CSS_SELECTOR, f'option[value="{value}"]').click()
            else:
                element.clear()
                element.send_keys(value)

    def submit(self, form: str) -> None:
        self.find(f'form[id="{form}"] button[type=submit]').click()

    def wait(self, condition: Any, message: str = "") -> Any:
        return WebDriverWait(self.driver, WAIT_SECONDS).until(condition, message)

    def text(self, css: str) -> str:
        return str(self.find(css).text)

    def focused_id(self) -> str:
        return str(self.driver.execute_script("return document.activeElement && document.activeElement.id"))

    @property
    def url(self) -> str:
        return str(self.driver.current_url)

    # ------------------------------------------------------------------ checks and pictures

    def axe(self, allowed: Mapping[str, str] | None = None) -> list[str]:
        """axe-core's serious and critical violations on the page as it is now, one line each; `allowed`
        maps the rule ids let through to why. The script is injected by WebDriver, which the page's CSP
        does not govern (the pages themselves load nothing but their own files)."""
        self.driver.execute_script(AXE.read_text(encoding="utf-8"))
        result = self.driver.execute_async_script(
            "const done = arguments[arguments.length - 1];"
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => done(r.violations), e => done({error: String(e)}));"
        )
        if isinstance(result, dict):
            raise RuntimeError(f"axe-core failed: {result['error']}")
        return [
            f"{rule['id']} ({rule['impact']}): {rule['help']} at {[node['target'] for node in rule['nodes']]}"
            for rule in result
            if rule["impact"] in REFUSED_IMPACTS and rule["id"] not in (allowed or {})
        ]

    def screenshot(self, path: Path) -> None:
        """The whole page, past the window's height, as a PNG."""
        shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))


def _request_url(message: dict[str, Any]) -> str | None:
    """The URL a DevTools network event asks for: a request (documents, subresources, fetches, beacons) or a
    WebSocket."""
    params = message.get("params", {})
    if message.get("method") == "Network.requestWillBeSent":
        return str(params["request"]["url"])
    if message.get("method") == "Network.webSocketCreated":
        return str(params["url"])
    return None


@contextlib.contextmanager
def started(profile: Path) -> Iterator[Browser]:
    """Chromium with a fresh profile directory (no history, cache or cookies from any earlier run)."""
    # Selenium logs every WebDriver command at DEBUG, the keys typed into password fields among them: the
    # suite's log scan (no_secret_in_logs) would rightly find them.
    logging.getLogger("selenium").setLevel(logging.WARNING)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    if os.geteuid() == 0:  # Chromium refuses to run its sandbox as root
        options.add_argument("--no-sandbox")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_experimental_option("prefs", {"intl.accept_languages": DEFAULT_LANGUAGES})
    # The DevTools network events (every request a page makes) and the console, read by `problems`.
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        browser = Browser(driver, user_agent=str(driver.execute_script("return navigator.userAgent")))
        browser.reset(origins=set())
        yield browser
    finally:
        driver.quit()
