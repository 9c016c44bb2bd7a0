"""YAML policy files -> TenantPolicy, with every error naming file, line, key and fix."""

from __future__ import annotations

import difflib
import gc
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from api.policy.checks import Problem, contradictions
from api.policy.model import AttributeRule, Policy, TenantPolicy
from api.policy.yaml_reading import Key, NotPlainError, SafeLoader, read_plain, read_with_lines

FREEZE_AT = 1000
TENANT_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
POLICY_SUFFIXES = (".yaml", ".yml")

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
    # Most files are plain and fine: read them the quick way, without the line of every key; a file that
    # is not, or has a problem, is read again the full way, which names the line of each problem.
    return _load_plain(path, raw) or _load_explained(path, raw)


def _load_plain(path: Path, raw: bytes) -> TenantPolicy | None:
    """The tenant of a plain file without a problem (api.policy.yaml_reading.read_plain); None for any other."""
    if not TENANT_ID.match(path.stem):
        return None
    try:
        loader = SafeLoader(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None
    try:
        data = read_plain(loader)
        policy = Policy.model_validate(data)
    except (NotPlainError, ValidationError):
        return None
    finally:
        loader.dispose()
    loaded = _tenant(path, raw, policy)
    return None if contradictions(policy, loaded.attributes) else loaded


def _tenant(path: Path, raw: bytes, policy: Policy) -> TenantPolicy:
    return TenantPolicy(tenant=path.stem, revision=hashlib.sha256(raw).hexdigest()[:16], path=path, policy=policy)


def _load_explained(path: Path, raw: bytes) -> TenantPolicy:
    """The full reading: every key's line from the node tree, so that each problem names its line."""
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
            data, lines, duplicates = read_with_lines(loader)
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
    loaded = _tenant(path, raw, policy)
    errors.extend(_problem_error(path, lines, problem) for problem in contradictions(policy, loaded.attributes))
    if errors:
        raise PolicyLoadError(errors)
    return loaded


def located(path: Path, problems: list[Problem]) -> list[PolicyError]:
    """Problems found after loading (against a pool, say), with the line of each key in the file."""
    loader = SafeLoader(Path(path).read_text(encoding="utf-8"))
    try:
        _, lines, _ = read_with_lines(loader)
    finally:
        loader.dispose()
    return [_problem_error(Path(path), lines, problem) for problem in problems]


def policy_files(directory: Path) -> list[Path]:
    directory = Path(directory)
    # scandir knows each entry's type without a stat of its own, and names sort faster than paths.
    with os.scandir(directory) as entries:
        names = [e.name for e in entries if os.path.splitext(e.name)[1] in POLICY_SUFFIXES and e.is_file()]
    return [directory / name for name in sorted(names)]


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
    files = policy_files(directory)
    # Every collection while thousands of tenants load would scan the tenants loaded so far again (a fifth
    # of the load time for 10,000 files), and would find nothing: loading leaves no cyclic garbage, each
    # file's leftovers go by reference counting (tests/policy/test_loader.py checks). So the collector
    # waits until all are loaded.
    enabled = gc.isenabled()
    gc.disable()
    try:
        for path in files:
            _load_into(path, tenants, refused)
    finally:
        if enabled:
            gc.enable()
    if len(files) >= FREEZE_AT:
        # The tenants live as long as the process: move them out of the collector's way for good.
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
