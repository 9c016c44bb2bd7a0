"""The pages' texts: every key in every language, with the same placeholders; a text for every
ViolationCode and ErrorCode (the pages show codes, never the API's English messages); and every key the
SPA asks for exists."""

from __future__ import annotations

import re

import pytest

from api.pages.assets import STATIC_DIR
from api.pages.translations import catalogue
from api.policy import ViolationCode
from api.policy.model import STANDARD_ATTRIBUTES
from api.policy.pages import LANGUAGES
from api.registration.outcomes import ErrorCode

PLACEHOLDER = re.compile(r"\{(\w+)\}")


def test_every_language_has_every_key_with_the_same_placeholders() -> None:
    english = catalogue("en")
    for language in LANGUAGES:
        texts = catalogue(language)
        assert set(texts) == set(english), language
        for key, text in texts.items():
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(english[key])), (language, key)


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_code_the_api_answers_has_a_text(language: str) -> None:
    texts = catalogue(language)  # type: ignore[arg-type]
    missing = [f"violation.{code}" for code in ViolationCode if f"violation.{code}" not in texts]
    missing += [f"error.{code}" for code in ErrorCode if f"error.{code}" not in texts]
    assert missing == []
    # And no text for a code that no longer exists: a renamed code would otherwise go untranslated.
    known = {f"violation.{code}" for code in ViolationCode} | {f"error.{code}" for code in ErrorCode}
    extra = {"error.generic", "error.network", "error.TOO_MANY_ATTEMPTS.later"}
    coded = {key for key in texts if key.startswith(("violation.", "error."))}
    assert coded - known == extra


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_standard_attribute_has_a_label(language: str) -> None:
    texts = catalogue(language)  # type: ignore[arg-type]
    assert [name for name in sorted(STANDARD_ATTRIBUTES) if f"attribute.{name}" not in texts] == []


def test_the_japanese_texts_are_japanese() -> None:
    """A key copied from English and left untranslated is caught (names and codes aside)."""
    kana_or_kanji = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")
    untranslated = [
        key
        for key, text in catalogue("ja").items()
        if not kana_or_kanji.search(text) and key not in {"list.separator", "sentence.separator"}
    ]
    assert untranslated == []


def test_every_key_the_spa_asks_for_exists() -> None:
    source = "\n".join(path.read_text(encoding="utf-8") for path in STATIC_DIR.glob("*.js"))
    asked = set(re.findall(r"""\bt\(\s*'([^'`$]+)'""", source))
    assert len(asked) > 20, "the pattern no longer finds the SPA's keys"
    # Keys built at run time: `violation.${code}`, `error.${code}`, `class.${name}`, `notice.${notice}`.
    assert asked - set(catalogue("en")) == set()
    for prefix in ("violation.", "error.", "class.", "notice.", "field.", "attribute."):
        assert f"`{prefix}${{" in source or f"'{prefix}" in source, prefix
