"""The README's examples, run as a new user runs them (tests/test_readme.py).

Which blocks run
- Every fenced block tagged `bash`, `sh` or `shell` runs, unless the line before its fence (blank lines
  aside) is a marker `<!-- not run: REASON -->`; a marked block is reported as a skipped test with its
  reason. Nothing else keeps a block from running, so a new example is run from the day it is written.
  A marker before any other kind of block, or one that no block follows, is an error.
- The blocks run in README order, one bash session (`set -euo pipefail`, `shopt -s inherit_errexit`) per
  `##` section, so a variable one block sets is there for the next blocks of its section, as the
  walkthrough's "run the blocks in order in one bash shell" asks.
- They run as written but for these substitutions, made in the block and in its expected output (`Run`):
  `http://127.0.0.1:8000` becomes the address of a `regapi serve` started for the run, whose working
  directory is the sessions' too and holds fresh copies of the repository's directories that blocks
  name by relative paths (`CHECKOUT`: policies/, examples/); `.venv/bin/` the bin directory of the
  virtualenv running the tests; a `make` at the start of a line a make of the repository's Makefile
  with that virtualenv, never reinstalling it; `/tmp/` a directory of the run's own.
- ```graphql blocks carry no address or key and are not run: each must validate against schema.graphql,
  and every tenant it names must be a demo tenant of policies/ (tests/test_readme.py).

What a block must print
- It must exit with status 0: a command that fails by design is written `cmd || echo "exit status $?"`.
- A ```json block right after it (nothing but blank lines between) is what it prints on stdout, compared
  structurally (`json_differences`).
- A plain ``` or ```text block right after it is what it prints on stdout and stderr together, line by
  line, a `...` in a line standing for any text; so are the whole-line comments that close a block (the
  `# ` dropped), the way a one-line answer is shown (`text_differences`).

How JSON is compared, and which values are matched by kind only: tests/helpers/readme_output.py.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.helpers.processes import free_port
from tests.helpers.readme_output import json_differences, text_differences

RUN_LANGUAGES = frozenset({"bash", "sh", "shell"})
TEXT_LANGUAGES = frozenset({"", "text"})
MARKER = re.compile(r"^<!--\s*not run:(?P<reason>.*?)-->\s*$")
README_ADDRESS = "http://127.0.0.1:8000"
# The repository's directories copied into the working directory: what a block names by a relative path
# (`policies/shop.yaml`, `examples/verify_token.py`); copies, so that a block changing one changes
# neither the repository nor a later run.
CHECKOUT = ("policies", "examples")


@dataclass(frozen=True)
class Block:
    line: int  # of the opening fence, counted from 1
    language: str
    text: str
    section: str  # the `##` heading above it, "" before the first
    not_run: str | None  # the reason of the marker before it
    after: int | None  # the line of the block just before it, when only blank lines part them


@dataclass(frozen=True)
class Expected:
    kind: str  # "json" (stdout) or "text" (stdout and stderr)
    text: str
    line: int


@dataclass(frozen=True)
class Example:
    block: Block
    expected: Expected | None


def parse(markdown: str) -> tuple[list[Block], list[str]]:
    """The fenced blocks of a Markdown text, and what is wrong with its markers."""
    blocks: list[Block] = []
    errors: list[str] = []
    section = ""
    marker: tuple[int, str] | None = None
    previous: Block | None = None  # the last block, while only blank lines follow it
    lines = markdown.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("```"):
            end = next((n for n in range(index + 1, len(lines)) if lines[n].startswith("```")), len(lines))
            block = Block(
                line=index + 1,
                language=line[3:].strip(),
                text="\n".join(lines[index + 1 : end]),
                section=section,
                not_run=marker[1] if marker else None,
                after=previous.line if previous else None,
            )
            if marker and block.language not in RUN_LANGUAGES:
                errors.append(f"README.md:{marker[0]}: a not-run marker before a {block.language!r} block")
            blocks.append(block)
            marker, previous, index = None, block, end + 1
            continue
        if match := MARKER.match(line):
            reason = match.group("reason").strip()
            if not reason:
                errors.append(f"README.md:{index + 1}: a not-run marker must give its reason")
            marker = (index + 1, reason)
        elif line.strip():
            if marker:
                errors.append(f"README.md:{marker[0]}: a not-run marker that no block follows")
                marker = None
            previous = None
            if line.startswith("## "):
                section = line[3:].strip()
        index += 1
    return blocks, errors


def examples(blocks: list[Block]) -> list[Example]:
    """The shell blocks, each with the output it is shown to print, if any."""
    following = {b.after: b for b in blocks if b.after is not None}
    found = []
    for block in blocks:
        if block.language not in RUN_LANGUAGES:
            continue
        shown = following.get(block.line)
        expected = None
        if shown is not None and shown.language == "json":
            expected = Expected("json", shown.text, shown.line)
        elif shown is not None and shown.language in TEXT_LANGUAGES:
            expected = Expected("text", shown.text, shown.line)
        elif comments := closing_comments(block.text):
            expected = Expected("text", "\n".join(comments), block.line)
        found.append(Example(block, expected))
    return found


def closing_comments(text: str) -> list[str]:
    lines = text.rstrip().splitlines()
    tail: list[str] = []
    while lines and lines[-1].lstrip().startswith("#"):
        tail.insert(0, re.sub(r"^\s*# ?", "", lines.pop()))
    return tail if lines else []


# ------------------------------------------------------------------ running a section


def checkout(root: Path, workdir: Path) -> None:
    """Copy the `CHECKOUT` directories of the repository at `root` into `workdir`, caches left out."""
    for name in CHECKOUT:
        shutil.copytree(root / name, workdir / name, ignore=shutil.ignore_patterns("__pycache__"))


@contextlib.contextmanager
def regapi_serve(workdir: Path, env: Mapping[str, str], log: Path) -> Iterator[str]:
    """`regapi serve` as `make run` starts it, in `workdir` (so on its policies/), on a free port; its URL."""
    port = free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "api", "serve"],
            cwd=workdir,
            env={**env, "REGAPI_HOST": "127.0.0.1", "REGAPI_PORT": str(port)},
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _healthy(url):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"regapi serve did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


@dataclass(frozen=True)
class Run:
    """Where a section runs: the working directory, the server and its log, the virtualenv, the run's /tmp."""

    workdir: Path
    server: str
    log: Path
    venv: Path
    makefile: Path
    tmp: Path

    def substitute(self, text: str) -> str:
        text = text.replace(README_ADDRESS, self.server)
        # /tmp/ first: the virtualenv may itself live under /tmp (a clone there), and must stay as it is.
        text = re.sub(r"(?<![\w/.])/tmp/", f"{self.tmp}/", text)
        text = re.sub(r"(?<![\w/.])\.venv/bin/", f"{self.venv}/bin/", text)
        make = f"make -f {shlex.quote(str(self.makefile))} VENV={shlex.quote(str(self.venv))}"
        never_reinstall = f"-o {shlex.quote(str(self.venv / '.installed'))}"
        return re.sub(r"(?m)^(\s*)make\b", rf"\1{make} {never_reinstall}", text)


def run_section(section: list[Example], run: Run, env: dict[str, str], state: Path) -> list[str]:
    """Run one section's blocks in one bash session; what went wrong, each naming its README line."""
    state.mkdir(parents=True)
    current = state / "current"
    parts = ["set -euo pipefail", "shopt -s inherit_errexit"]
    for number, example in enumerate(section):
        out = shlex.quote(str(state / f"{number}.out"))
        err = "2>&1" if example.expected and example.expected.kind == "text" else f"2> {out}.err"
        parts += [
            f"echo {number} > {shlex.quote(str(current))}",
            "{",
            run.substitute(example.block.text),
            f"}} > {out} {err}",
        ]
    parts.append(f"echo done > {shlex.quote(str(current))}")
    script = state / "section.sh"
    script.write_text("\n".join(parts) + "\n", encoding="utf-8")
    status, shell = _bash(script, run.workdir, env)
    reached = current.read_text().strip() if current.exists() else "0"
    done = len(section) if reached == "done" else int(reached)
    problems = []
    for number, example in enumerate(section[:done]):
        printed = (state / f"{number}.out").read_text(encoding="utf-8")
        if example.expected is not None:
            expected = run.substitute(example.expected.text)
            compare = json_differences if example.expected.kind == "json" else text_differences
            problems += [f"README.md:{example.expected.line}: {d}" for d in compare(expected, printed)]
    if status != 0 or done < len(section):
        block = section[min(done, len(section) - 1)].block
        output = "".join(path.read_text(encoding="utf-8") for path in sorted(state.glob(f"{done}.out*")))
        server = run.log.read_text(errors="replace") if run.log.exists() else ""
        problems.append(
            f"README.md:{block.line}: the block {_ended(status)}:\n"
            f"{output[-3000:]}{shell[-2000:]}\n--- server log\n{server[-2000:]}"
        )
    return problems


SECTION_TIMEOUT = 120  # seconds; a block that serves forever (`make run`) must not hang the suite


def _bash(script: Path, cwd: Path, env: Mapping[str, str]) -> tuple[int | None, str]:
    """Run the script in a process group of its own, so that whatever it started is ended with it; its
    status (None when it did not finish in time) and what it printed outside the blocks' own files."""
    process = subprocess.Popen(
        ["bash", str(script)],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        printed, _ = process.communicate(timeout=SECTION_TIMEOUT)
        status: int | None = process.returncode
    except subprocess.TimeoutExpired:
        status, printed = None, b""
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # its own group: the session's leftovers, nothing else
        process.wait()
    return status, printed.decode(errors="replace")


def _ended(status: int | None) -> str:
    return f"did not finish within {SECTION_TIMEOUT} s" if status is None else f"exited with status {status}"
