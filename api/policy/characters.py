"""Which characters a value may carry: no control characters, and no invisible format characters.

Refused in attribute names, attribute values and passwords (README.md, "ViolationCode", INVALID_CHARACTER):

- control characters (Unicode category Cc: the C0 set, DEL and the C1 set), so NUL, ESC and line breaks;
  an attribute whose rule says `multiline: true` may carry line breaks (LF, and CR for CRLF);
- lone surrogates (Cs), which JSON's "\\ud800" escapes can produce and no UTF-8 encoder takes;
- line and paragraph separators (Zl, Zp: U+2028, U+2029), line breaks by another name;
- format characters (Cf): bidirectional overrides and isolates (U+202A-U+202E, U+2066-U+2069, which
  reorder what a person sees), marks (U+200E, U+200F, U+061C), zero-width space, word joiner, soft
  hyphen, byte order mark, and the tag characters (U+E0000 block) that hide text, except ZERO WIDTH
  NON-JOINER (U+200C) and ZERO WIDTH JOINER (U+200D): Persian, the Indic scripts and emoji sequences
  need them to write ordinary names.
"""

from __future__ import annotations

import unicodedata

ALLOWED_FORMAT = frozenset("\u200c\u200d")  # ZWNJ, ZWJ
LINE_BREAKS = frozenset("\n\r")
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Cf", "Zl", "Zp"})


def forbidden_characters(value: str, *, line_breaks: bool = False) -> bool:
    """Whether `value` holds a character the module docstring refuses (line breaks allowed with `line_breaks`)."""
    # The common case in C: every character printable (str.isprintable is False for Cc, Cf, Cs, Zl, Zp and
    # also for spaces other than U+0020 and for unassigned code points, which the loop below lets through).
    if value.isprintable():
        return False
    for char in value:
        if char in ALLOWED_FORMAT or (line_breaks and char in LINE_BREAKS):
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES:
            return True
    return False
