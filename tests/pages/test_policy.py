"""The `pages:` key of a policy file: what it accepts, and each mistake refused with its line, key and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.policy import PolicyError, PolicyLoadError, load_policy
from api.policy.pages import LANGUAGES

SHOP = (Path(__file__).resolve().parents[2] / "policies" / "shop.yaml").read_text(encoding="utf-8")
PAGES = SHOP[SHOP.index("pages:") :]
WITHOUT_PAGES = SHOP[: SHOP.index("pages:")]


def errors_of(tmp_path: Path, pages: str) -> list[PolicyError]:
    path = tmp_path / "shop.yaml"
    path.write_text(WITHOUT_PAGES + pages, encoding="utf-8")
    with pytest.raises(PolicyLoadError) as caught:
        load_policy(path)
    return caught.value.errors


def test_the_demo_sections_load_and_a_policy_without_one_gets_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "shop.yaml"
    path.write_text(WITHOUT_PAGES, encoding="utf-8")
    pages = load_policy(path).policy.pages
    assert (pages.languages, pages.display_name, pages.labels) == (list(LANGUAGES), {}, {})
    assert (pages.logo_url, pages.primary_color, pages.return_url) == (None, None, None)
    path.write_text(SHOP, encoding="utf-8")
    shop = load_policy(path).policy.pages
    assert (shop.languages, shop.primary_color, shop.labels["custom:plan"]["ja"]) == (["en", "ja"], "#0a5", "プラン")


@pytest.mark.parametrize(
    ("pages", "key", "message"),
    [
        ("pages:\n  languages: [en, fr]\n", "pages.languages[1]", "'fr' is not one of the accepted values"),
        ("pages:\n  languages: [ja, ja]\n", "pages.languages", "lists a language twice"),
        ("pages:\n  languages: []\n", "pages.languages", "at least 1 item"),
        ("pages:\n  primary_color: '#00aa5'\n", "pages.primary_color", "#rgb or #rrggbb"),
        ("pages:\n  primary_color: green\n", "pages.primary_color", "#rgb or #rrggbb"),
        # Unquoted, YAML reads the colour as a comment and the key as empty: said, not ignored.
        ("pages:\n  primary_color: #0a5\n", "pages.primary_color", "# starts a comment"),
        ("pages:\n  return_url: ftp://shop.example/\n", "pages.return_url", "http or https URL"),
        ("pages:\n  return_url: /account\n", "pages.return_url", "http or https URL"),
        ("pages:\n  return_url: https://user:pw@shop.example/\n", "pages.return_url", "no user name"),
        ("pages:\n  return_url: https://shop example/\n", "pages.return_url", "http or https URL"),
        ("pages:\n  logo_url: javascript:alert(1)\n", "pages.logo_url", "http or https URL"),
        (
            "pages:\n  display_name: {de: Laden}\n",
            "pages.display_name.de[key]",
            "'de' is not one of the accepted values",
        ),
        ("pages:\n  display_name: {en: ''}\n", "pages.display_name.en", "at least 1 character"),
        ('pages:\n  labels: {name: {en: "two\\nlines"}}\n', "pages.labels.name.en", "should match pattern"),
        ("pages:\n  colour: red\n", "pages.colour", "unknown key"),
    ],
)
def test_a_malformed_value_is_refused_at_its_key(tmp_path: Path, pages: str, key: str, message: str) -> None:
    (error,) = errors_of(tmp_path, pages)
    assert error.key == key
    assert message in error.message
    assert error.line == WITHOUT_PAGES.count("\n") + pages.count("\n")  # the key's own line, the last
    assert error.fix


@pytest.mark.parametrize(
    ("pages", "key", "message", "fix"),
    [
        (
            "pages:\n  labels:\n    custom:tier: {en: Tier}\n",
            "pages.labels.custom:tier",
            "custom:tier is not an attribute of this policy, so no page shows it",
            "add custom:tier under attributes:, or remove its labels",
        ),
        (
            "pages:\n  languages: [ja]\n  labels:\n    name: {en: Name}\n",
            "pages.labels.name.en",
            "en is not among pages.languages, so this label is never shown",
            "add en to pages.languages, or remove this label",
        ),
        (
            "pages:\n  languages: [en]\n  display_name: {ja: ショップ}\n",
            "pages.display_name.ja",
            "ja is not among pages.languages, so this name is never shown",
            "add ja to pages.languages, or remove this name",
        ),
    ],
)
def test_a_label_or_name_no_page_would_show_is_refused(
    tmp_path: Path, pages: str, key: str, message: str, fix: str
) -> None:
    (error,) = errors_of(tmp_path, pages)
    assert (error.key, error.message, error.fix) == (key, message, fix)
    assert error.line == WITHOUT_PAGES.count("\n") + pages.count("\n")


def test_every_mistake_of_a_section_is_reported_at_once(tmp_path: Path) -> None:
    pages = "pages:\n  languages: [en]\n  primary_color: red\n  labels: {custom:x: {ja: X}}\n"
    assert len(errors_of(tmp_path, pages)) == 1  # the model's errors stop the load before the checks
    pages = "pages:\n  languages: [en]\n  display_name: {ja: X}\n  labels: {custom:x: {ja: X}, name: {ja: Y}}\n"
    assert [e.key for e in errors_of(tmp_path, pages)] == [
        "pages.display_name.ja",
        "pages.labels.custom:x",
        "pages.labels.name.ja",
    ]


def test_the_demo_section_is_the_whole_tail_of_the_demo_file() -> None:
    """The tests above replace it by splitting the file there: it must stay last."""
    assert PAGES.startswith("pages:")
    assert PAGES.count("\n  languages:") == 1
