"""Every figure of issue 15 in one run, each beside the anchor it is judged against, so that the figures
can be checked on any machine:

1. graphql: `registrationForm` requests per second on regapi (`regapi serve`, embedded Cognito), on a plain
   Starlette JSON route and on a plain strawberry schema with its caches and limits (bench/anchors.py);
   wrk, 16 connections, 1 thread, the three servers interleaved in each round and rotated between rounds;
   the ratio is the median of the rounds' paired ratios, [min..max];
2. loop: GET /healthz on regapi, idle, then while 16 connections sign up new users (signUp mutations, each
   for a new user from its own address); the probe runs through the middle half of the load;
3. policy: one policy decision, allowed and with 1 to 5 violations, and loading 10,000 tenant files
   (bench/policy_engine.py's figures, in a process of their own).

Run: `.venv/bin/python bench/perf.py [--rounds N] [--seconds S] [--quick]
[--only graphql|loop|policy]` (or `make bench BENCH_ARGS=--quick`). It prints the machine, a Markdown table
for the README, then each round. Progress goes to stderr. Every server is a child process on 127.0.0.1;
wrk is installed from Debian's packages where missing; every child is stopped on exit, Ctrl-C included.
bench/wrk.py installs and runs wrk and reads its report; bench/children.py starts and stops the processes.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from types import FrameType

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/perf.py`: the `bench` modules are the root's
    sys.path.insert(0, str(ROOT))

from bench.children import HOST, Children, Server, child_environment, free_port, wait_ready  # noqa: E402
from bench.graphql_request import FORM  # noqa: E402
from bench.wrk import BenchError, WrkReport, ensure_wrk, say, wrk_command  # noqa: E402

CONNECTIONS = 16
FORM_BODY = json.dumps({"query": FORM, "variables": {"tenant": "shop", "operation": "SIGN_UP"}}).encode()
SIGN_UP = (
    "mutation SignUp($input: SignUpInput!) { signUp(input: $input) { __typename "
    "... on SignUpSuccess { nextStep codeDelivery { medium destination } } "
    "... on PolicyDenied { code } ... on RegistrationError { code } } }"
)
ID_MARK = "__ID__"  # where bench/signup.lua puts each user's id
# The demo policies limit sign-ups (per tenant, per address); the benchmark's copy lets it sign up freely.
BENCH_LIMITS = {
    "sign_ups_per_tenant": "1000000 per hour",
    "sign_ups_per_address": "1000000 per hour",
    "attempts_per_address": "1000000 per hour",
}
GOAL_RATIO = 0.25  # registrationForm rps at least this share of the plain Starlette route's
GOAL_PROBE_MS = 5.0  # /healthz median under sign-up load at most this
GOAL_DECISION_US = 20.0  # one decision, 1 to 5 violations, at most this
GOAL_LOAD_S = 5.0  # loading 10,000 tenant files under this
TENANT_FILES = 10_000
PACKAGES = ("strawberry-graphql", "graphql-core", "starlette", "uvicorn", "moto")  # the machine line's
BASELINE = "baseline json.loads"  # bench/policy_engine.py's name for its baseline figure
VIOLATIONS = re.compile(r"^(\d+) violations?$")


# -- the signUp requests ------------------------------------------------------------------------------


def sign_up_body() -> str:
    """The signUp request bench/signup.lua sends, with ID_MARK where each user's id goes."""
    username = f"{ID_MARK}@shop.example"
    variables = {
        "input": {
            "tenant": "shop",
            "username": username,
            "password": "correct horse 42",
            "attributes": [{"name": "email", "value": username}, {"name": "name", "value": "Bench"}],
        }
    }
    return json.dumps({"query": SIGN_UP, "variables": variables, "operationName": "SignUp"})


def with_id(body: str, user_id: str) -> str:
    """What bench/signup.lua makes of `body` for one user (its gsub)."""
    return body.replace(ID_MARK, user_id)


def bench_policies(source: Path, target: Path) -> None:
    """A copy of the policy directory `source` in `target`, shop's limits raised to BENCH_LIMITS."""
    shutil.copytree(source, target)
    shop = target / "shop.yaml"
    policy = yaml.safe_load(shop.read_text(encoding="utf-8"))
    policy["limits"] = {**policy.get("limits", {}), **BENCH_LIMITS}
    shop.write_text(yaml.safe_dump(policy, sort_keys=False, allow_unicode=True), encoding="utf-8")


def start_regapi(children: Children, workdir: Path, name: str, **settings: str) -> Server:
    port = free_port()
    log = workdir / f"{name}.log"
    env = child_environment(
        REGAPI_HOST=HOST,
        REGAPI_PORT=str(port),
        REGAPI_POLICY_DIR=str(workdir / "policies"),
        REGAPI_STRICT_POLICIES="1",  # a policy copy that does not load stops it at start, loudly
        **settings,
    )
    with log.open("wb") as out:
        process = children.start(
            [str(ROOT / ".venv" / "bin" / "regapi"), "serve"], cwd=ROOT, env=env, stdout=out, stderr=out
        )
    server = Server(name, f"http://{HOST}:{port}", process, log)
    wait_ready(server, lambda client: client.get(f"{server.url}/healthz").status_code == 200)
    return server


def start_anchor(children: Children, workdir: Path, kind: str, request: Path, answer: Path) -> Server:
    port = free_port()
    log = workdir / f"{kind}.log"
    args = [sys.executable, "-m", "bench.anchors", kind, "--port", str(port), "--request", str(request)]
    with log.open("wb") as out:
        process = children.start(
            [*args, "--answer", str(answer)], cwd=ROOT, env=child_environment(), stdout=out, stderr=out
        )
    server = Server(f"plain {kind}", f"http://{HOST}:{port}", process, log)
    wait_ready(server, lambda client: ask(client, server).status_code == 200)
    return server


def ask(client: httpx.Client, server: Server) -> httpx.Response:
    return client.post(f"{server.url}/graphql", content=FORM_BODY, headers={"content-type": "application/json"})


# -- row 1: registrationForm requests per second ------------------------------------------------------


@dataclass
class GraphqlRun:
    names: list[str]  # regapi, plain starlette, plain strawberry
    rounds: list[dict[str, WrkReport]] = field(default_factory=list)
    orders: list[list[str]] = field(default_factory=list)

    def ratios(self, name: str, over: str) -> list[float]:
        return [r[name].rps / r[over].rps for r in self.rounds]

    def rps(self, name: str) -> float:
        return statistics.median(r[name].rps for r in self.rounds)


def checked_answers(servers: Sequence[Server], regapi_answer: bytes) -> None:
    """Each anchor answers what regapi answered: the same JSON, and the plain route the same bytes."""
    expected = json.loads(regapi_answer)
    with httpx.Client(timeout=10) as client:
        for server in servers:
            response = ask(client, server)
            same = response.content == regapi_answer if server.name == "plain starlette" else True
            if response.status_code != 200 or response.json() != expected or not same:
                raise BenchError(
                    f"{server.name} answers {response.status_code} {response.text!r}, not regapi's {regapi_answer!r}"
                )


def regapi_form(server: Server) -> bytes:
    with httpx.Client(timeout=10) as client:
        response = ask(client, server)
    body = response.json()
    form = (body.get("data") or {}).get("registrationForm")
    if response.status_code != 200 or body.get("errors") or not isinstance(form, dict) or "fields" not in form:
        raise BenchError(f"regapi answers registrationForm with {response.status_code} {response.text!r}")
    return response.content


def measure_graphql(children: Children, workdir: Path, rounds: int, seconds: int, warmup: int) -> GraphqlRun:
    regapi = start_regapi(children, workdir, "regapi")
    answer = workdir / "answer.json"
    answer.write_bytes(regapi_form(regapi))
    request = workdir / "form-request.json"
    request.write_bytes(FORM_BODY)
    anchors = [start_anchor(children, workdir, kind, request, answer) for kind in ("starlette", "strawberry")]
    checked_answers(anchors, answer.read_bytes())
    servers = [regapi, *anchors]
    env = {**os.environ, "BENCH_BODY_FILE": str(request)}
    for server in servers:
        say(f"graphql: warming up {server.name} ({warmup} s)")
        children.run_wrk(wrk_command(f"{server.url}/graphql", "post.lua", warmup, CONNECTIONS), warmup, env)
    run = GraphqlRun([s.name for s in servers])
    for number in range(rounds):
        shift = number % len(servers)
        order = servers[shift:] + servers[:shift]
        results = {}
        for server in order:
            say(f"graphql: round {number + 1}/{rounds}, {server.name} ({seconds} s)")
            command = wrk_command(f"{server.url}/graphql", "post.lua", seconds, CONNECTIONS)
            results[server.name] = report = children.run_wrk(command, seconds, env)
            if report.problems():
                say(f"  {server.name}: wrk saw {report.problems()}")
        run.rounds.append(results)
        run.orders.append([s.name for s in order])
    for server in servers:
        children.stop(server.process)
    return run


# -- row 2: /healthz while users sign up --------------------------------------------------------------


@dataclass(frozen=True)
class LoopRound:
    idle: WrkReport
    probe: WrkReport
    load: WrkReport


def probe_seconds(seconds: int) -> tuple[int, float]:
    """How long the /healthz probe runs during `seconds` of load (the middle half), and when it starts."""
    probe = max(1, seconds // 2)
    return probe, (seconds - probe) / 2


def measure_loop(children: Children, workdir: Path, rounds: int, seconds: int) -> list[LoopRound]:
    # Each sign-up carries its own X-Forwarded-For, which regapi believes from wrk's 127.0.0.1 only when
    # told to: then every request counts against its own address's limits.
    regapi = start_regapi(children, workdir, "regapi-signups", REGAPI_TRUSTED_PROXIES=HOST)
    body = sign_up_body()
    with httpx.Client(timeout=10) as client:
        check = client.post(
            f"{regapi.url}/graphql",
            content=with_id(body, f"check-{os.getpid()}"),
            headers={"content-type": "application/json", "x-forwarded-for": "10.255.255.254"},
        )
    if ((check.json().get("data") or {}).get("signUp") or {}).get("__typename") != "SignUpSuccess":
        raise BenchError(f"regapi does not sign the benchmark's user up: {check.status_code} {check.text!r}")
    health, graphql = f"{regapi.url}/healthz", f"{regapi.url}/graphql"
    env = {**os.environ, "BENCH_SIGNUP_BODY": body}
    probe, offset = probe_seconds(seconds)
    results = []
    for number in range(rounds):
        say(f"loop: round {number + 1}/{rounds}, idle probe ({probe} s), then sign-ups ({seconds} s)")
        idle = children.run_wrk(wrk_command(health, "get.lua", probe, 1), probe)
        load = children.wrk(wrk_command(graphql, "signup.lua", seconds, CONNECTIONS), env)
        time.sleep(offset)
        loaded = children.run_wrk(wrk_command(health, "get.lua", probe, 1), probe)
        signed = children.finish(load, seconds)
        for name, report in (("idle probe", idle), ("probe", loaded), ("sign-ups", signed)):
            if report.problems():
                say(f"  {name}: wrk saw {report.problems()}")
        results.append(LoopRound(idle, loaded, signed))
    children.stop(regapi.process)
    return results


# -- rows 3 and 4: policy decisions and loading -------------------------------------------------------

POLICY_CHILD = """
import json
from bench.policy_engine import decision_figures, load_seconds
figures = {"decisions": decision_figures(), "load_seconds": load_seconds(count=%d)}
print("BENCH-POLICY " + json.dumps(figures))
"""


@dataclass(frozen=True)
class PolicyFigures:
    decisions: dict[str, float]  # microseconds per decision, by bench/policy_engine.py's names
    load_seconds: float


def measure_policy(children: Children) -> PolicyFigures:
    """bench/policy_engine.py's figures, in a fresh process of their own (no server's objects around)."""
    say(f"policy: decisions, then loading {TENANT_FILES:,} tenant files")
    process = children.start(
        [sys.executable, "-c", POLICY_CHILD % TENANT_FILES],
        cwd=ROOT,
        env=child_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        output, errors = process.communicate(timeout=900)
    finally:
        children.stop(process)
    match = re.search(r"^BENCH-POLICY (\{.*\})$", output, re.MULTILINE)
    if process.returncode != 0 or match is None:
        raise BenchError(f"bench/policy_engine.py's figures failed ({process.returncode}):\n{output}{errors}")
    raw = json.loads(match.group(1))
    return PolicyFigures({str(k): float(v) for k, v in raw["decisions"].items()}, float(raw["load_seconds"]))


# -- the report ---------------------------------------------------------------------------------------


def spread(values: Sequence[float], unit: str = "x", digits: int = 2) -> str:
    """The median and [min..max] of `values`."""
    median = statistics.median(values)
    return f"{median:.{digits}f}{unit} [{min(values):.{digits}f}..{max(values):.{digits}f}]"


def met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def machine(wrk: str) -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        models = re.findall(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        cpu = models[0].strip() if models else cpu
    memory = ""
    with contextlib.suppress(OSError):
        total = re.search(r"^MemTotal:\s+(\d+) kB", Path("/proc/meminfo").read_text(), re.MULTILINE)
        memory = f", {int(total.group(1)) / 2**20:.1f} GiB memory" if total else ""
    packages = ", ".join(f"{name} {metadata.version(name)}" for name in PACKAGES)
    when = time.strftime("%Y-%m-%d")
    return (
        f"Machine ({when}): {cpu}, {os.cpu_count()} cores{memory}; Python {platform.python_version()}; "
        f"{packages}; {wrk}"
    )


def graphql_row(run: GraphqlRun) -> str:
    regapi, starlette, strawberry = run.names
    ratio = run.ratios(regapi, starlette)
    anchor = run.ratios(strawberry, starlette)
    return (
        f"| `registrationForm` requests/s, as a share of a plain Starlette JSON route "
        f"| {run.rps(regapi):,.0f} rps: {spread(ratio)} "
        f"| plain Starlette {run.rps(starlette):,.0f} rps; plain strawberry with its caches and limits "
        f"{run.rps(strawberry):,.0f} rps: {spread(anchor)} "
        f"| {statistics.median(ratio):.2f}x / at least {GOAL_RATIO}x | {met(statistics.median(ratio) >= GOAL_RATIO)} |"
    )


def loop_row(rounds: Sequence[LoopRound]) -> str:
    p50 = statistics.median(r.probe.p50_ms for r in rounds)
    p99 = statistics.median(r.probe.p99_ms for r in rounds)
    idle = statistics.median(r.idle.p50_ms for r in rounds)
    idle99 = statistics.median(r.idle.p99_ms for r in rounds)
    rate = statistics.median(r.load.rps for r in rounds)
    succeeded = sum(r.load.counts.get("succeeded", 0) for r in rounds)
    answered = sum(sum(r.load.counts.values()) for r in rounds)
    all_signed = answered > 0 and succeeded == answered
    note = "" if all_signed else " (not every sign-up succeeded)"
    return (
        f"| `GET /healthz` median while {CONNECTIONS} connections sign up (embedded) "
        f"| {p50:.2f} ms (p99 {p99:.1f} ms) under {rate:,.0f} sign-ups/s, "
        f"{succeeded:,} of {answered:,} SignUpSuccess "
        f"| idle {idle:.2f} ms (p99 {idle99:.1f} ms) "
        f"| {p50:.2f} ms / at most {GOAL_PROBE_MS:g} ms | {met(p50 <= GOAL_PROBE_MS and all_signed)}{note} |"
    )


def policy_rows(figures: PolicyFigures) -> list[str]:
    denied = {name: us for name, us in figures.decisions.items() if VIOLATIONS.match(name)}
    # The allowed decisions first, then the baseline (json.loads of a request body, which every request pays).
    others = ", ".join(
        f"{name} {us:.1f} µs"
        for name, us in sorted(figures.decisions.items(), key=lambda item: item[0] == BASELINE)
        if name not in denied
    )
    rows = []
    if denied:
        worst = max(denied.values())
        rows.append(
            f"| one policy decision with 1 to 5 violations | {min(denied.values()):.1f} to {worst:.1f} µs "
            f"| {others} | {worst:.1f} µs / at most {GOAL_DECISION_US:g} µs | {met(worst <= GOAL_DECISION_US)} |"
        )
    else:
        rows.append(f"| one policy decision with 1 to 5 violations | not measured | {others} | - | - |")
    seconds = figures.load_seconds
    rows.append(
        f"| loading {TENANT_FILES:,} tenant files | {seconds:.2f} s ({seconds / TENANT_FILES * 1e3:.2f} ms per file) "
        f"| - | {seconds:.2f} s / under {GOAL_LOAD_S:g} s | {met(seconds < GOAL_LOAD_S)} |"
    )
    return rows


def graphql_details(run: GraphqlRun, seconds: int) -> list[str]:
    regapi, starlette, strawberry = run.names
    lines = [
        f"registrationForm: wrk -t1 -c{CONNECTIONS}, {len(run.rounds)} rounds x {seconds} s, in the order shown",
        "round  order                          "
        + "".join(f"{name:>26}" for name in run.names)
        + "  regapi/starlette  strawberry/starlette  regapi/strawberry",
    ]
    for number, (results, order) in enumerate(zip(run.rounds, run.orders, strict=True), 1):
        cells = "".join(
            f"{f'{r.rps:,.0f} rps {r.p50_ms:.1f}/{r.p99_ms:.1f} ms':>26}" for r in (results[n] for n in run.names)
        )
        short = ", ".join(name.removeprefix("plain ") for name in order)
        ratios = (
            f"{results[regapi].rps / results[starlette].rps:>18.3f}"
            f"{results[strawberry].rps / results[starlette].rps:>22.3f}"
            f"{results[regapi].rps / results[strawberry].rps:>19.3f}"
        )
        lines.append(f"{number:>5}  {short:<31}{cells}{ratios}")
        for name in run.names:
            if results[name].problems():
                lines.append(f"       {name}: {results[name].problems()}")
    lines.append("(rps, then p50/p99 latency)")
    lines.append(f"regapi/strawberry: {spread(run.ratios(regapi, strawberry))}")
    return lines


def loop_details(rounds: Sequence[LoopRound], seconds: int) -> list[str]:
    probe, offset = probe_seconds(seconds)
    lines = [
        f"/healthz probe: wrk -t1 -c1, {probe} s idle, then {probe} s from {offset:g} s into {seconds} s of "
        f"signUp from wrk -t1 -c{CONNECTIONS} (each a new user from its own X-Forwarded-For)",
        "round  idle p50/p99 ms  loaded p50/p99 ms  probes/s  sign-ups/s  signUp p50/p99 ms  answers",
    ]
    for number, r in enumerate(rounds, 1):
        answers = ", ".join(f"{name} {count}" for name, count in r.load.counts.items() if count) or "none"
        lines.append(
            f"{number:>5}  {r.idle.p50_ms:>7.2f}/{r.idle.p99_ms:<7.1f}  {r.probe.p50_ms:>9.2f}/{r.probe.p99_ms:<7.1f}"
            f"  {r.probe.rps:>8,.0f}  {r.load.rps:>10,.0f}  {r.load.p50_ms:>9.1f}/{r.load.p99_ms:<7.1f}  {answers}"
        )
        for name, report in (("idle probe", r.idle), ("probe", r.probe), ("sign-ups", r.load)):
            if report.problems():
                lines.append(f"       {name}: {report.problems()}")
    return lines


def policy_details(figures: PolicyFigures) -> list[str]:
    lines = ["policy engine (bench/policy_engine.py), median µs per decision:"]
    baseline = figures.decisions.get(BASELINE)
    for name, us in figures.decisions.items():
        times = f" ({us / baseline:.1f}x the baseline)" if baseline and name != BASELINE else ""
        lines.append(f"  {name:<24} {us:8.2f} µs{times}")
    lines.append(f"loading {TENANT_FILES:,} tenant files: {figures.load_seconds:.2f} s")
    return lines


# -- main ---------------------------------------------------------------------------------------------


def options(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, help="rounds of each HTTP figure (default 3)")
    parser.add_argument("--seconds", type=int, help="seconds of each wrk measurement (default 8)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run: 3 rounds of 2 s, 1 s warm-up")
    parser.add_argument(
        "--only", action="append", choices=["graphql", "loop", "policy"], help="measure only these (repeatable)"
    )
    args = parser.parse_args(argv)
    args.rounds = args.rounds or 3
    args.seconds = args.seconds or (2 if args.quick else 8)
    args.warmup = 1 if args.quick else 2
    args.only = args.only or ["graphql", "loop", "policy"]
    if args.rounds < 1 or args.seconds < 2:
        parser.error("--rounds must be at least 1 and --seconds at least 2")
    return args


def _interrupted(signum: int, _: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    args = options(argv)
    # A kill ends the children too, as Ctrl-C does (also where SIGINT came ignored: a background job's).
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, _interrupted)
    children = Children()
    lines: list[str] = []
    rows: list[str] = []
    try:
        wrk = ensure_wrk() if {"graphql", "loop"} & set(args.only) else "wrk (not used)"
        with contextlib.ExitStack() as stack:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="regapi-perf-")))
            stack.callback(children.stop_all)  # before the directory holding their logs goes
            bench_policies(ROOT / "policies", workdir / "policies")
            if "graphql" in args.only:
                run = measure_graphql(children, workdir, args.rounds, args.seconds, args.warmup)
                rows.append(graphql_row(run))
                lines += ["", *graphql_details(run, args.seconds)]
            if "loop" in args.only:
                loop = measure_loop(children, workdir, args.rounds, args.seconds)
                rows.append(loop_row(loop))
                lines += ["", *loop_details(loop, args.seconds)]
            if "policy" in args.only:
                figures = measure_policy(children)
                rows += policy_rows(figures)
                lines += ["", *policy_details(figures)]
    except BenchError as error:
        say(f"perf: {error}")
        return 1
    except KeyboardInterrupt:
        say("perf: interrupted")
        return 130
    finally:
        children.stop_all()
    print(machine(wrk))
    print()
    print("| figure | regapi | anchor | ratio / goal | met? |")
    print("|---|---|---|---|---|")
    print(*rows, sep="\n")
    print(*lines, sep="\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
