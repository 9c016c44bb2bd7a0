"""Look-alike usernames: Unicode's UTS #39 restriction levels, applied to a name PRECIS has normalised.

PRECIS (api.policy.username) already maps width and case and refuses spaces, symbols, controls and
compatibility characters. What it lets through, and this module refuses in a *new* username:

- **Mixed scripts beyond "Moderately Restrictive"** (UTS #39 section 5.2), judged over each character's
  Script_Extensions, with Han, Hiragana, Katakana, Hangul and Bopomofo augmented as the standard says
  (Jpan, Kore, Hanb): a name may be in one script; or Latin with Han, Hiragana and Katakana (Japanese),
  with Han and Bopomofo, or with Han and Hangul; or Latin with any one other Recommended script except
  Cyrillic and Greek (and Cherokee, as ICU adds), whose letters mix into Latin unnoticed. Characters of
  scripts outside UAX #31's Recommended list (Cherokee, Runic, Lisu, ...) are outside the identifier
  profile the restriction levels assume, and are refused too.
- **Combining marks left after normalisation** that can sit on Latin, Greek or Cyrillic letters (Script
  Inherited, Script_Extensions Inherited or naming one of those three): `i` + U+0307 (what `İ` lower-cases
  to), U+0332 underlines, U+0338 overlays, variation selectors. Marks of a script's own (Devanagari vowel
  signs, Thai, Arabic harakat, the kana voicing marks) stay.
- **Look-alikes of ASCII letters and digits** (UTS #39 confusables.txt, through `confusable-homoglyphs`'
  copy; tests/policy/test_username.py checks the table below against it): the dotless i (U+0131) for
  `i`, small capitals, the Armenian oh (U+0585) for `o`. One is refused in a name that has Latin
  letters; a name whose letters are all such look-alikes (the Cyrillic a, es and ie of "ace", a
  whole-script confusable) is refused too.

A pure-ASCII name passes all three without a lookup.
"""

from __future__ import annotations

import unicodedata
from functools import reduce

import unicodedataplus

# UAX #31 Table 5, Recommended Scripts, with the augmented sets of UTS #39 section 5.1.
_RECOMMENDED_NAMES = (
    "Zyyy Zinh Arab Armn Beng Bopo Cyrl Deva Ethi Geor Grek Gujr Guru Hani Hang Hebr Hira Knda Kana Khmr "
    "Laoo Latn Mlym Mymr Orya Sinh Taml Telu Thaa Thai Tibt Hanb Jpan Kore"
)
RECOMMENDED = frozenset(_RECOMMENDED_NAMES.split())
_AUGMENTED = {
    "Hani": ("Hanb", "Jpan", "Kore"),
    "Hira": ("Jpan",),
    "Kana": ("Jpan",),
    "Hang": ("Kore",),
    "Bopo": ("Hanb",),
}
_ANY_SCRIPT = ({"Zyyy"}, {"Zinh"})
_CJK = frozenset({"Jpan", "Hanb", "Kore"})
_NOT_WITH_LATIN = frozenset({"Cyrl", "Grek", "Cher"})
_MARK_HOSTS = frozenset({"Zinh", "Latn", "Grek", "Cyrl"})

# Characters of Recommended scripts that PRECIS accepts and confusables.txt gives an ASCII letter or digit
# as their look-alike (171 of them; derived, and checked, by tests/policy/test_username.py).
LOOKALIKES = frozenset(
    "\u0131\u0184\u018d\u0196\u01a6\u01a7\u01b7\u01bc\u01bd\u01c0\u021c\u0222\u0223\u0251\u0261\u0263"
    "\u0269\u026a\u026f\u028b\u028f\u037f\u0391\u0392\u0395\u0396\u0397\u0399\u039a\u039c\u039d\u039f"
    "\u03a1\u03a4\u03a5\u03a7\u03b1\u03b3\u03b9\u03bd\u03bf\u03c1\u03c3\u03c5\u03dc\u03f3\u03fa\u0405"
    "\u0406\u0408\u0410\u0412\u0415\u0417\u041a\u041c\u041d\u041e\u0420\u0421\u0422\u0423\u0425\u042c"
    "\u0430\u0431\u0433\u0435\u043e\u0440\u0441\u0443\u0445\u0455\u0456\u0458\u0461\u0474\u0475\u04ae"
    "\u04af\u04bb\u04bd\u04c0\u04cf\u04e0\u0501\u050c\u051b\u051c\u051d\u054d\u054f\u0555\u0561\u0563"
    "\u0566\u0570\u0578\u057c\u057d\u0581\u0584\u0585\u06f1\u06f5\u06f7\u0966\u09e6\u09ea\u09ed\u0a66"
    "\u0a67\u0a6a\u0ae6\u0b03\u0b20\u0b66\u0b68\u0be6\u0c02\u0c66\u0c82\u0ce6\u0d02\u0d20\u0d66\u0d6d"
    "\u0d82\u0e50\u0ed0\u101d\u1040\u10e7\u10ff\u1200\u12d0\u1d04\u1d0f\u1d11\u1d1c\u1d20\u1d21\u1d22"
    "\u1d26\u1d83\u1d8c\u1e9d\u1eff\u3007\ua644\ua647\ua731\ua75a\ua76a\ua76e\ua798\ua799\ua79f\ua7ab"
    "\ua7b2\ua7b3\ua7b4\uab32\uab35\uab3d\uab47\uab48\uab4e\uab52\uab5a"
)

MIXED_SCRIPTS = "Do not mix letters of different scripts (such as Latin with Cyrillic or Greek)."
COMBINING_MARK = "Use letters with their accents built in, without separate combining marks."
LOOKALIKE = "Do not use letters that imitate others (such as \u0131, a dotless i, for i)."


def lookalike_problem(text: str) -> str | None:
    """Why a new name (or one part of an e-mail address) could pass for another, or None."""
    if text.isascii():
        return None
    if mixes_scripts(text):
        return MIXED_SCRIPTS
    if any(_loose_mark(char) for char in text):
        return COMBINING_MARK
    if any(char in LOOKALIKES for char in text):
        letters = [char for char in text if char.isalpha()]
        if any(_latin(char) for char in letters) or all(char in LOOKALIKES for char in letters):
            return LOOKALIKE
    return None


def mixes_scripts(text: str) -> bool:
    """Whether `text` is less restrictive than UTS #39's Moderately Restrictive level (ICU's algorithm)."""
    sets = [scripts for char in text if (scripts := _scripts(char)) not in _ANY_SCRIPT]
    if not sets:
        return False
    if any(not scripts & RECOMMENDED for scripts in sets):
        return True
    if _resolved(sets) & RECOMMENDED:
        return False  # single script
    without_latin = [scripts for scripts in sets if "Latn" not in scripts]
    other = _resolved(without_latin) & RECOMMENDED
    if other & _CJK:
        return False  # Highly Restrictive: Latin with Japanese, Chinese or Korean
    return not other or bool(other & _NOT_WITH_LATIN)  # Moderately Restrictive: Latin and one other script


def _extensions(char: str) -> list[str]:
    extensions: list[str] = unicodedataplus.script_extensions(char)
    return extensions


def _scripts(char: str) -> set[str]:
    scripts = set(_extensions(char))
    for script in list(scripts):
        scripts.update(_AUGMENTED.get(script, ()))
    return scripts


def _resolved(sets: list[set[str]]) -> set[str]:
    return reduce(set.intersection, sets) if sets else set()


def _loose_mark(char: str) -> bool:
    if not unicodedata.category(char).startswith("M") or unicodedataplus.script(char) != "Inherited":
        return False
    return bool(_MARK_HOSTS.intersection(_extensions(char)))


def _latin(char: str) -> bool:
    return char.isascii() or unicodedataplus.script(char) == "Latin"
