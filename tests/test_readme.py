"""The README, run: each of its shell blocks against a live `regapi serve` on a fresh copy of the demo
tenants, its output compared with the one it shows. tests/helpers/readme.py has the rules: which blocks
run, how, and how their output is compared."""

from __future__ import annotations

import json
import os
import re
import shutil
import sysconfig
from collections.abc import Iterator
from pathlib import Path

import pytest
from graphql import DocumentNode, build_schema, parse, validate

from tests.helpers import DEMO_POLICIES, ROOT
from tests.helpers import readme as rd
from tests.helpers.readme import Example, Run
from tests.helpers.readme_output import json_differences, text_differences

README = ROOT / "README.md"
BLOCKS, MARKER_ERRORS = rd.parse(README.read_text(encoding="utf-8"))
EXAMPLES = rd.examples(BLOCKS)
SECTIONS: dict[str, list[Example]] = {}
for _example in EXAMPLES:
    if _example.block.not_run is None:
        SECTIONS.setdefault(_example.block.section, []).append(_example)
NOT_RUN = [example.block for example in EXAMPLES if example.block.not_run is not None]
TOOLS = ("bash", "curl", "jq", "make", "sed", "sha256sum")


@pytest.fixture(scope="module")
def readme_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Run, dict[str, str]]]:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    assert not missing, f"the README's examples need {', '.join(missing)} (`make test` installs curl and jq)"
    workdir = tmp_path_factory.mktemp("readme")
    rd.checkout(ROOT, workdir)
    (workdir / "tmp").mkdir()
    venv = Path(sysconfig.get_path("scripts")).parent
    (workdir / "home").mkdir()
    # A new reader's shell: none of the REGAPI_ settings or dotfiles (~/.curlrc) of the one running the
    # tests, and no proxy between curl and the API on loopback.
    env = {name: value for name, value in os.environ.items() if not name.startswith("REGAPI_")}
    env.update(
        PATH=f"{venv}/bin{os.pathsep}{env.get('PATH', '')}",
        HOME=str(workdir / "home"),
        LC_ALL="C.UTF-8",
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    log = workdir.parent / f"{workdir.name}-serve.log"
    with rd.regapi_serve(workdir, env, log) as url:
        yield Run(workdir, url, log, venv, ROOT / "Makefile", workdir / "tmp"), env


@pytest.mark.parametrize("section", list(SECTIONS), ids=lambda name: re.sub(r"\W+", "-", name or "top").strip("-"))
def test_the_section_runs_as_shown(section: str, readme_run: tuple[Run, dict[str, str]], tmp_path: Path) -> None:
    run, env = readme_run
    problems = rd.run_section(SECTIONS[section], run, env, tmp_path / "state")
    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("block", NOT_RUN, ids=lambda block: f"line-{block.line}")
def test_a_block_marked_not_run(block: rd.Block) -> None:
    pytest.skip(f"README.md:{block.line} is marked not run: {block.not_run}")


def test_markers_sit_on_shell_blocks_and_give_their_reasons() -> None:
    assert not MARKER_ERRORS
    shell = [b for b in BLOCKS if b.language in rd.RUN_LANGUAGES]
    assert sum(map(len, SECTIONS.values())) + len(NOT_RUN) == len(shell)
    assert all(block.not_run for block in NOT_RUN)
    assert "Walkthrough" in SECTIONS, "the walkthrough is run"


def test_graphql_blocks_are_valid_documents_of_served_tenants() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text(encoding="utf-8"))
    tenants = {path.stem for path in DEMO_POLICIES.glob("*.yaml")}
    documents = [block for block in BLOCKS if block.language == "graphql"]
    assert documents
    for block in documents:
        # A block lists operations one per line, each a document a client would send on its own.
        for operation in parse(block.text).definitions:
            errors = validate(schema, DocumentNode(definitions=(operation,)))
            assert not errors, f"README.md:{block.line}: {errors}"
        named = set(re.findall(r'tenant:\s*"([^"]*)"', block.text))
        assert named <= tenants, f"README.md:{block.line}: {named - tenants} is no demo tenant"


@pytest.mark.parametrize("script", sorted((ROOT / "examples").glob("*.py")), ids=lambda path: path.name)
def test_the_readme_quotes_each_example_verbatim(script: Path) -> None:
    """Each script of examples/ (run by its own test) is shown whole, as one ```python block, so that what the
    README prints is what the tests run."""
    quoted = {block.text.strip() for block in BLOCKS if block.language == "python"}
    assert script.read_text(encoding="utf-8").strip() in quoted, f"README.md does not show {script.name} as it is"


def test_the_tenant_table_lists_every_demo_tenant() -> None:
    text = README.read_text(encoding="utf-8")
    for path in DEMO_POLICIES.glob("*.yaml"):
        assert f"| `{path.stem}` | `policies/{path.name}` |" in text


def test_the_links_to_headings_find_them() -> None:
    prose = "\n".join(re.split(r"(?m)^```.*$", README.read_text(encoding="utf-8"))[::2])  # outside the blocks
    # GitHub's anchors: the heading in lower case, without punctuation but `-` and `_`, spaces as `-`.
    anchors = {
        re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        for heading in re.findall(r"(?m)^#{1,6} (.+)$", prose)
    }
    links = re.findall(r"\]\(#([^)]+)\)", prose)
    assert links
    assert set(links) <= anchors, set(links) - anchors


# ------------------------------------------------------------------ the rules themselves


SHOWN = """{"data": {"signIn": {"__typename": "SignInSuccess", "at": "2026-11-23T22:45:57.481701+00:00",
 "refreshToken": "82c6787d-aab1-4234-9a9b-9cb4012c9538", "code": "868194", "temporaryPassword": "s~R_x9wQcv[o",
 "idToken": "eyJ0eXAiOiJKV1Qi...", "session": "rs1.abc...", "expiresIn": 3600, "list": [1, 2]}}}"""


def printed(**changes: object) -> str:
    """SHOWN as a run prints it: every volatile value different, and the changes made."""
    value = json.loads(SHOWN)
    value["data"]["signIn"].update(
        {
            "at": "2027-01-02T03:04:05+00:00",
            "refreshToken": "0b9a4c1e-0000-4000-8000-000000000000",
            "code": "000123",
            "temporaryPassword": "Q7%kk]lm9Aa!",
            "idToken": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl",
            "session": "rs1.anything-longer",
            **changes,
        }
    )
    return json.dumps(value, indent=2)


def test_json_volatile_values_match_by_kind() -> None:
    assert json_differences(SHOWN, printed()) == []


@pytest.mark.parametrize(
    "changes",
    [
        {"__typename": "NewPasswordRequired"},
        {"expiresIn": 3599},
        {"expiresIn": "3600"},
        {"list": [1, 2, 3]},
        {"at": "yesterday"},
        {"refreshToken": "not-a-uuid"},
        {"code": "12345"},
        {"temporaryPassword": "has space"},
        {"idToken": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9"},
        {"session": "rs1"},
        {"extra": True},
    ],
)
def test_json_differences_are_found(changes: dict[str, object]) -> None:
    assert json_differences(SHOWN, printed(**changes))


def test_json_lines_and_a_missing_key() -> None:
    assert json_differences('{"a": 1}\n{"b": [true, null]}', '{"a":1}\n{"b":[true,null]}') == []
    assert json_differences('{"a": 1}\n{"b": 2}', '{"a": 1}')
    assert json_differences('{"a": 1, "b": 2}', '{"a": 1}')
    assert json_differences('{"a": 1}', "curl: (7) Failed to connect")
    (unparsed,) = json_differences('{"a": 1,}', '{"a": 1}')
    assert unparsed.startswith("the JSON shown does not parse")


def test_text_ellipses_stand_for_any_text_within_a_line() -> None:
    shown = "shop.yaml (...) -> new.yaml (...): 2 change(s)\n  changed  x: 1 -> 2"
    assert text_differences(shown, "shop.yaml (2b60) -> new.yaml (e572): 2 change(s)\n  changed  x: 1 -> 2  \n") == []
    assert text_differences(shown, "shop.yaml (2b60) -> new.yaml (e572): 3 change(s)\n  changed  x: 1 -> 2")
    assert text_differences(shown, "shop.yaml (2b60) -> new.yaml (e572): 2 change(s)")
    assert text_differences("exit status 1", "exit status 1\nexit status 1")


SYNTHETIC = """# t

## One

<!-- not run: a reason -->
```sh
make run
```

```bash
GREETING=hello
echo "{\\"greeting\\": \\"$GREETING\\"}"
```

```json
{"greeting": "hello"}
```

```bash
printf '%s\\n' "$GREETING" "http://127.0.0.1:8000/x"
# hello
# http://127.0.0.1:8000/...
```

```sh
echo '{"greeting": "bye"}'
```

```json
{"greeting": "hello"}
```

```sh
false
echo never
```
"""


def test_a_section_shares_one_shell_and_reports_each_difference_by_line(tmp_path: Path) -> None:
    blocks, errors = rd.parse(SYNTHETIC)
    assert errors == []
    found = rd.examples(blocks)
    assert [e.block.not_run for e in found] == ["a reason", None, None, None, None]
    run = Run(tmp_path, "http://127.0.0.1:1", tmp_path / "log", tmp_path, tmp_path / "Makefile", tmp_path)
    problems = rd.run_section([e for e in found if not e.block.not_run], run, dict(os.environ), tmp_path / "s")
    assert [p.split(":", 2)[1] for p in problems] == ["29", "33"], problems
    assert "greeting" in problems[0]
    assert "exited with status 1" in problems[1]


@pytest.mark.parametrize(
    ("markdown", "error"),
    [
        ("<!-- not run: why -->\n```json\n{}\n```\n", "before a 'json' block"),
        ("<!-- not run: why -->\nprose\n", "no block follows"),
        ("<!-- not run: -->\n```sh\ntrue\n```\n", "must give its reason"),
    ],
)
def test_misplaced_markers_are_errors(markdown: str, error: str) -> None:
    _, errors = rd.parse(markdown)
    assert len(errors) == 1
    assert error in errors[0]
