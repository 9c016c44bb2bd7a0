"""What a README block printed, compared with what the README shows it print (tests/helpers/readme.py).

Text (a plain block, or the comments closing a shell block): line by line, trailing white space aside,
a `...` in a shown line standing for any text within that line.

JSON (a ```json block). Both sides are read as a sequence of JSON values (one pretty-printed document,
or one per line). Objects must have the same keys; arrays the same length, compared element by element
in order; numbers, booleans and null must be equal; strings too (`__typename`, codes, enums, messages,
usernames, masked destinations, policy revisions), except volatile values, recognised by the form of
the shown value and matched by kind:
- an ISO 8601 timestamp with an offset (sentAt, requestedAt, expiries): any such timestamp;
- a UUID (a refresh token): any UUID;
- six digits (a confirmation code): any six digits;
- a value shown truncated, ending in "..." (tokens, sessions): any string at least as long as the part
  shown; when that part starts with `eyJ` (a JSON header: a JWT), three base64url segments;
- the value of a `temporaryPassword` key, random and of no recognisable form: any string without white
  space.
So a README answer may shorten nothing but a volatile value, and shows every key the command prints.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any


def text_differences(expected: str, printed: str) -> list[str]:
    """What differs between text shown and printed (empty when they match), for the failure message."""
    want = expected.rstrip("\n").splitlines()
    got = [line.rstrip() for line in printed.rstrip("\n").splitlines()]
    if len(want) != len(got) or not all(
        re.fullmatch(".*".join(map(re.escape, w.rstrip().split("..."))), g) for w, g in zip(want, got, strict=False)
    ):
        return ["the output differs from the one shown:\n--- shown\n" + "\n".join(want) + "\n--- printed\n" + printed]
    return []


def json_values(text: str) -> list[Any]:
    """The JSON values of a text, one after the other: one document, or one per line as `jq -c` prints."""
    decoder = json.JSONDecoder()
    values, position = [], 0
    while (position := _skip_space(text, position)) < len(text):
        value, position = decoder.raw_decode(text, position)
        values.append(value)
    return values


def _skip_space(text: str, position: int) -> int:
    return len(text) - len(text[position:].lstrip())


def json_differences(expected: str, printed: str) -> list[str]:
    """Each difference between the JSON shown and printed, by the rule above, naming where it is."""
    try:
        want = json_values(expected)
    except json.JSONDecodeError as error:
        return [f"the JSON shown does not parse ({error})"]
    try:
        got = json_values(printed)
    except json.JSONDecodeError as error:
        return [f"the block printed no JSON ({error}):\n{printed[:2000]}"]
    if len(want) != len(got):
        return [f"{len(want)} JSON value(s) shown, {len(got)} printed:\n{printed[:2000]}"]
    return [d for index, (w, g) in enumerate(zip(want, got, strict=True)) for d in _differences(w, g, f"[{index}]")]


def _differences(want: Any, got: Any, where: str, key: str = "") -> Iterator[str]:
    if isinstance(want, dict):
        if not isinstance(got, dict) or set(want) != set(got):
            yield f"{where}: shown {_show(want)}, printed {_show(got)}"
            return
        for name, value in want.items():
            yield from _differences(value, got[name], f"{where}.{name}", name)
    elif isinstance(want, list):
        if not isinstance(got, list) or len(want) != len(got):
            yield f"{where}: shown {_show(want)}, printed {_show(got)}"
            return
        for index, (w, g) in enumerate(zip(want, got, strict=True)):
            yield from _differences(w, g, f"{where}[{index}]", key)
    elif isinstance(want, str) and isinstance(got, str):
        kind = volatile_kind(want, key)
        if not (kind(got) if kind else want == got):
            yield f"{where}: shown {want!r}, printed {got!r}"
    elif type(want) is not type(got) or want != got:
        yield f"{where}: shown {want!r}, printed {got!r}"


def _show(value: Any) -> str:
    return json.dumps(sorted(value) if isinstance(value, dict) else value)[:300]


TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
CODE = re.compile(r"[0-9]{6}")
JWT = re.compile(r"[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+")


def volatile_kind(shown: str, key: str) -> Callable[[str], bool] | None:
    """How a printed string matches a shown one that differs on every run; None when it must be equal."""
    if key == "temporaryPassword":
        return lambda got: bool(got) and not any(c.isspace() for c in got)
    if TIMESTAMP.fullmatch(shown):
        return lambda got: bool(TIMESTAMP.fullmatch(got)) and datetime.fromisoformat(got).tzinfo is not None
    for form in (UUID, CODE):
        if form.fullmatch(shown):
            return _matching(form)
    if shown.endswith("...") and len(shown) > 3:
        part = shown[:-3]
        if part.startswith("eyJ"):
            return lambda got: len(got) >= len(part) and bool(JWT.fullmatch(got))
        return lambda got: len(got) >= len(part)
    return None


def _matching(form: re.Pattern[str]) -> Callable[[str], bool]:
    return lambda got: bool(form.fullmatch(got))
