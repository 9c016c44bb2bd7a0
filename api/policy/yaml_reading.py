"""Reading a policy file's YAML, two ways.

The quick way (`read_plain`): nearly every file is plain (mappings, lists and scalars; no anchors,
aliases, tags or keys given twice) and fine. For those, building the data straight from libyaml's events
skips what composing a node tree costs (a node object and a call into PyYAML's resolver for each value)
and the line of every key, which only an error message needs: together about half of the time a file took
to load. Anything else raises `NotPlainError`.

The full way (`read_with_lines`): the node tree, which gives the data and the line of every key in one
walk, for the files the quick way does not take and for the line of each problem in a file that has one.
It refuses what no policy needs and what could blow a few bytes up (aliases of lists and mappings, deep
nesting), and leaves merge keys and keys that are not scalars to PyYAML.

For a plain file, both return the same data (tests/policy/test_loader.py compares them).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import yaml
from yaml.events import (
    CollectionStartEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

try:  # the C loader is ten times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader  # type: ignore[assignment]

__all__ = ["MAX_DEPTH", "Key", "NotPlainError", "SafeLoader", "read_plain", "read_with_lines"]

MAX_DEPTH = 16

Key = tuple[str | int, ...]  # a path of keys and list positions: ("attributes", "email", "required", 0)

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
# What a plain (unquoted) scalar may resolve to here; timestamps, merge keys (<<) and the rest go the full way.
_SIMPLE_TAGS = frozenset(f"tag:yaml.org,2002:{name}" for name in ("null", "bool", "int", "float"))
_RESOLVER = yaml.resolver.Resolver()
_CONSTRUCTOR = yaml.constructor.SafeConstructor()


class NotPlainError(Exception):
    """The file needs the full reading: it uses more of YAML than plain data, or it has a problem to report."""


class Parser(Protocol):
    """What `read_plain` needs of a PyYAML loader (CSafeLoader, or SafeLoader where libyaml is missing)."""

    def get_event(self) -> Event | None: ...


Next = Callable[[], Event | None]


def read_plain(parser: Parser) -> dict[Any, Any]:
    """The document's data, when it is one plain mapping; raises NotPlainError otherwise (a syntax error too).
    The caller disposes of the parser."""
    get = parser.get_event
    try:
        if type(get()) is not StreamStartEvent or type(get()) is not DocumentStartEvent:
            raise NotPlainError  # an empty file
        first = get()
        if not isinstance(first, MappingStartEvent):
            raise NotPlainError  # not a mapping, which the full reading explains
        data = _mapping(get, first, 1)
        if type(get()) is not DocumentEndEvent or type(get()) is not StreamEndEvent:
            raise NotPlainError  # a second document
    except yaml.YAMLError:
        raise NotPlainError from None
    return data


def _value(get: Next, event: Event | None, depth: int) -> Any:
    if isinstance(event, ScalarEvent):
        return _scalar(event)
    if isinstance(event, MappingStartEvent):
        return _mapping(get, event, depth + 1)
    if isinstance(event, SequenceStartEvent):
        return _sequence(get, event, depth + 1)
    raise NotPlainError  # an alias


def _mapping(get: Next, start: CollectionStartEvent, depth: int) -> dict[Any, Any]:
    if depth > MAX_DEPTH or start.anchor is not None or start.tag is not None:
        raise NotPlainError
    mapping: dict[Any, Any] = {}
    spellings: set[str] = set()  # `1` and `"1"` are one key to the full reading, which says it is given twice
    while True:
        key = get()
        if not isinstance(key, ScalarEvent):
            if isinstance(key, MappingEndEvent):
                return mapping
            raise NotPlainError  # a key that is a mapping or a list, or an alias
        if key.value in spellings:
            raise NotPlainError
        spellings.add(key.value)
        mapping[_scalar(key)] = _value(get, get(), depth)


def _sequence(get: Next, start: CollectionStartEvent, depth: int) -> list[Any]:
    if depth > MAX_DEPTH or start.anchor is not None or start.tag is not None:
        raise NotPlainError
    items: list[Any] = []
    while True:
        item = get()
        if isinstance(item, SequenceEndEvent):
            return items
        items.append(_value(get, item, depth))


def _scalar(event: ScalarEvent) -> Any:
    if event.anchor is not None or event.tag is not None:
        raise NotPlainError
    if not event.implicit[0]:  # quoted, or a block scalar: always a string
        return event.value
    return _plain_scalar(event.value)


@lru_cache(maxsize=4096)  # the same few words (true, invite, email, 7, ...) fill every file
def _plain_scalar(text: str) -> Any:
    """An unquoted scalar as PyYAML's SafeLoader reads it (`yes` is true, `0x10` is 16); NotPlainError for
    timestamps, merge keys (<<) and the rest of YAML's types."""
    tag = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call]
    if tag == _STR:
        return text
    if tag not in _SIMPLE_TAGS:
        raise NotPlainError
    # None, bool, int and float: immutable, so one value may serve every file that has the text.
    return _CONSTRUCTOR.yaml_constructors[tag](_CONSTRUCTOR, yaml.ScalarNode(tag, text))


def read_with_lines(loader: SafeLoader) -> tuple[Any, dict[Key, int], list[Key]]:
    """The document's data, the line of every key path, and the paths given twice (which YAML would
    silently merge), in one walk over the node tree.

    Building the data here, instead of with PyYAML's constructor after a separate walk for the lines,
    makes loading a file a quarter cheaper; scalars other than strings still go through PyYAML's rules.
    """
    reader = _Reader(loader)
    root = loader.get_single_node()
    if root is None:
        return None, reader.lines, reader.duplicates
    data = reader.build(root, ())
    if reader.refused:
        raise yaml.YAMLError(reader.refused)
    if reader.unusual:  # a merge key or an unhashable key: leave the data to PyYAML
        data = loader.construct_document(root)
    return data, reader.lines, reader.duplicates


class _Reader:
    # A class rather than a recursive closure: a closure that calls itself is a reference cycle, which
    # would keep every file's node tree alive until the cyclic collector ran.
    def __init__(self, loader: SafeLoader) -> None:
        self.loader = loader
        self.lines: dict[Key, int] = {}
        self.duplicates: list[Key] = []
        self.unusual = False
        self.refused = ""
        self._seen: set[int] = set()

    def build(self, node: yaml.Node, key: Key) -> Any:
        # A policy needs neither aliases nor deep nesting, and both can make a few bytes expand into
        # millions of nodes (a "billion laughs" file would stall the reload of every tenant).
        if id(node) in self._seen and isinstance(node, yaml.CollectionNode):
            self.refused = self.refused or "anchors and aliases (&name, *name) are not allowed in policy files"
            return None
        if len(key) > MAX_DEPTH:
            self.refused = self.refused or f"nested deeper than {MAX_DEPTH} levels"
            return None
        self._seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            mapping: dict[Any, Any] = {}
            for key_node, value_node in node.value:
                child = (*key, str(key_node.value))
                if child in self.lines:
                    self.duplicates.append(child)
                self.lines[child] = key_node.start_mark.line + 1
                name = self.build(key_node, key)
                if key_node.tag == _MERGE or not isinstance(name, str | int | float | bool | None):
                    self.unusual = True
                    continue
                mapping[name] = self.build(value_node, child)
            return mapping
        if isinstance(node, yaml.SequenceNode):
            items = []
            for index, item in enumerate(node.value):
                self.lines[(*key, index)] = item.start_mark.line + 1
                items.append(self.build(item, (*key, index)))
            return items
        if node.tag == _STR:
            return node.value
        return self.loader.construct_object(node)
