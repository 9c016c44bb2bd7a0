"""YAML policy files -> TenantPolicy, with every error naming file, line, key and fix."""

from __future__ import annotations

import difflib
import gc
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from api.policy.checks import Problem, contradictions
from api.policy.model import AttributeRule, Policy, TenantPolicy

try:  # the C loader is ten times faster; fall back where libyaml is missing
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover
    from yaml import SafeLoader  # type: ignore[assignment]

FREEZE_EVERY = 1000
MAX_DEPTH = 16
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
POLICY_SUFFIXES = (".yaml", ".yml")

Key = tuple[str | int, ...]

_FIXES = {
    "bool_type": "write true or false",
    "int_type": "write a whole number",
    "string_type": "write a text value (quote it if YAML reads it as something else)",
    "list_type": "write a list, such as [invite, sign_up]",
    "dict_type": "write a mapping of keys to values",
    "model_type": "write a mapping of keys to values",
    "missing": "add the key",
    "string_pattern_mismatch": "change the value to match the pattern",
}


@dataclass(frozen=True, slots=True)
class PolicyError:
    file: Path
    line: int | None
    key: str
    message: str
    fix: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else str(self.file)
        key = f" {self.key}:" if self.key else ""
        return f"{where}:{key} {self.message}\n    fix: {self.fix}"


class PolicyLoadError(Exception):
    def __init__(self, errors: list[PolicyError]) -> None:
        super().__init__("\n".join(str(e) for e in errors))
        self.errors = errors


def _tab_at(raw: bytes, line: int, column: int) -> bool:
    lines = raw.decode("utf-8", "replace").splitlines()
    return line < len(lines) and "\t" in lines[line][: column + 1]


def load_policy(path: Path) -> TenantPolicy:
    """Load one file; raise PolicyLoadError with every problem found in it."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:  # gone or unreadable between listing and reading, or named by hand
        fix = "check the path and its permissions"
        raise PolicyLoadError(
            [PolicyError(path, None, "", f"cannot read the file ({exc.strerror or exc})", fix)]
        ) from None
    tenant = path.stem
    errors: list[PolicyError] = []
    if not TENANT_ID.match(tenant):
        errors.append(
            PolicyError(
                path,
                None,
                "",
                f"{tenant!r} is not a valid tenant id (the file name is the tenant id)",
                "rename the file to lowercase letters, digits, - and _ (at most 63 characters)",
            )
        )
    try:
        text = raw.decode("utf-8")
        # Parsed once: the node tree gives both the data and the line of every key.
        loader = SafeLoader(text)
        try:
            data, lines, duplicates = _read(loader)
        finally:
            loader.dispose()
    except UnicodeDecodeError:
        raise PolicyLoadError([PolicyError(path, None, "", "the file is not UTF-8", "save it as UTF-8")]) from None
    except RecursionError:
        raise PolicyLoadError([PolicyError(path, None, "", "YAML nested too deeply", "flatten the file")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        if mark is not None and _tab_at(raw, mark.line, mark.column):
            # libyaml says only "found character that cannot start any token".
            message = f"a tab character (column {mark.column + 1}): YAML does not allow tabs for indentation"
            raise PolicyLoadError([PolicyError(path, line, "", message, "indent with spaces")]) from None
        raise PolicyLoadError([PolicyError(path, line, "", f"YAML syntax: {problem}", "fix the YAML syntax")]) from None
    for key in duplicates:
        errors.append(
            PolicyError(
                path,
                lines.get(key),
                _dotted(key),
                "the key is given twice",
                "keep one of them: YAML would silently use the last",
            )
        )
    if not isinstance(data, dict):
        errors.append(PolicyError(path, 1, "", "the file must be a mapping of keys", "start from policies/acme.yaml"))
        raise PolicyLoadError(errors)
    try:
        policy = Policy.model_validate(data)
    except ValidationError as exc:
        errors.extend(_validation_errors(path, lines, exc))
        raise PolicyLoadError(errors) from None
    errors.extend(_problem_error(path, lines, problem) for problem in contradictions(policy))
    if errors:
        raise PolicyLoadError(errors)
    revision = hashlib.sha256(raw).hexdigest()[:16]
    return TenantPolicy(tenant=tenant, revision=revision, path=path, policy=policy)


def located(path: Path, problems: list[Problem]) -> list[PolicyError]:
    """Problems found after loading (against a pool, say), with the line of each key in the file."""
    loader = SafeLoader(Path(path).read_text(encoding="utf-8"))
    try:
        _, lines, _ = _read(loader)
    finally:
        loader.dispose()
    return [_problem_error(Path(path), lines, problem) for problem in problems]


def policy_files(directory: Path) -> list[Path]:
    return sorted(p for p in Path(directory).iterdir() if p.suffix in POLICY_SUFFIXES and p.is_file())


def load_directory(directory: Path) -> dict[str, TenantPolicy]:
    """Every tenant of a directory; raise with the problems of all files at once."""
    tenants, refused = load_each(directory)
    if refused:
        raise PolicyLoadError([error for errors in refused.values() for error in errors])
    return tenants


def load_each(directory: Path) -> tuple[dict[str, TenantPolicy], dict[Path, tuple[PolicyError, ...]]]:
    """The tenants of a directory whose files load, and the problems of each file that does not: one
    tenant's typo must not take the others down. Raises only when there is no directory to read."""
    directory = Path(directory)
    if not directory.is_dir():
        raise PolicyLoadError(
            [PolicyError(directory, None, "", "the policy directory does not exist", "set REGAPI_POLICY_DIR")]
        )
    tenants: dict[str, TenantPolicy] = {}
    refused: dict[Path, tuple[PolicyError, ...]] = {}
    for count, path in enumerate(policy_files(directory), start=1):
        _load_into(path, tenants, refused)
        if count % FREEZE_EVERY == 0:
            # Thousands of tenants are thousands of long-lived objects that every full collection would
            # scan again (a third of the load time for 10,000 files). Collect what is garbage now, then
            # move the survivors out of the collector's way for good.
            gc.collect()
            gc.freeze()
    return tenants, refused


def _load_into(path: Path, tenants: dict[str, TenantPolicy], refused: dict[Path, tuple[PolicyError, ...]]) -> None:
    try:
        loaded = load_policy(path)
    except PolicyLoadError as exc:
        refused[path] = tuple(exc.errors)
        return
    if loaded.tenant in tenants:
        error = PolicyError(
            path, None, "", f"tenant {loaded.tenant!r} is defined twice", "keep one of the .yaml and .yml files"
        )
        refused[path] = (error,)  # the first file found serves
        return
    tenants[loaded.tenant] = loaded


_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"


def _read(loader: SafeLoader) -> tuple[Any, dict[Key, int], list[Key]]:
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


def _line_for(lines: dict[Key, int], key: Key) -> int | None:
    """The line of the key, or of its nearest parent that is in the file (for a missing key)."""
    for end in range(len(key), 0, -1):
        if key[:end] in lines:
            return lines[key[:end]]
    return 1


def _dotted(key: Key) -> str:
    return ".".join(f"[{k}]" if isinstance(k, int) else k for k in key).replace(".[", "[")


def _model_at(key: Key) -> type[BaseModel] | None:
    """The model class whose keys live at `key`, to list the keys allowed there."""
    model: type[BaseModel] = Policy
    rest = list(key)
    while rest:
        part = rest.pop(0)
        if model is Policy and part == "attributes":
            if not rest:
                return None
            rest.pop(0)
            model = AttributeRule
            continue
        field = model.model_fields.get(str(part))
        annotation: Any = field.annotation if field else None
        candidates = [annotation, *getattr(annotation, "__args__", ())]
        nested = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
        if nested is None:
            return None
        model = nested
    return model


def _validation_errors(path: Path, lines: dict[Key, int], exc: ValidationError) -> list[PolicyError]:
    errors = []
    for error in exc.errors():
        loc: Key = tuple(error["loc"])
        kind = error["type"]
        if kind == "extra_forbidden":
            model = _model_at(loc[:-1])
            allowed = sorted(model.model_fields) if model else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            errors.append(
                PolicyError(
                    path,
                    _line_for(lines, loc),
                    _dotted(loc),
                    "unknown key",
                    f"{hint}allowed keys here: {', '.join(allowed)}",
                )
            )
            continue
        message = error["msg"]
        fix = _FIXES.get(kind, "see the policy reference in README.md")
        if kind in {"literal_error", "enum"}:
            fix = message.replace("Input should be", "use")
            message = f"{error.get('input')!r} is not one of the accepted values"
        elif kind == "missing":
            message = "this key is required"
        elif kind in {"greater_than_equal", "less_than_equal"}:
            fix = message.replace("Input should be", "use a value")
        errors.append(PolicyError(path, _line_for(lines, loc), _dotted(loc), message, fix))
    return errors


def _problem_error(path: Path, lines: dict[Key, int], problem: Problem) -> PolicyError:
    return PolicyError(path, _line_for(lines, problem.path), _dotted(problem.path), problem.message, problem.fix)
