"""Policy engine figures: microseconds per decision for an allowed request and for requests with exactly
1 to 5 violations; load time and memory for 10,000 tenant files; time to reload one changed file among them.

Run: `.venv/bin/python bench/policy_engine.py [--tenants N] [--rounds R]`. It prints its figures, with a
baseline measured in the same run (json.loads of a small GraphQL request body, a cost every request pays
anyway) so that the figures compare across machines as ratios.

bench/perf.py imports `decision_figures` and `load_seconds` from here; importing this module does nothing else.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import shutil
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from api.cognito.port import PoolBinding
from api.policy import Operation, Policy, TenantPolicy, evaluate, load_directory
from api.policy.engine import PolicyRequest
from api.policy.loader import load_each
from api.policy.store import PolicyStore
from api.reload import PolicyReloader

ROOT = Path(__file__).resolve().parent.parent
ROUNDS, CALLS = 7, 5000
BODY = json.dumps(
    {
        "query": "mutation SignUp($input: SignUpInput!) { signUp(input: $input) { __typename } }",
        "variables": {"input": {"tenant": "shop", "username": "ann@shop.example", "password": "x" * 12}},
    }
)
BASELINE = "baseline json.loads"

# Self sign-ups on the demo shop (policies/shop.yaml), each adding one mistake to the one before: the
# public path where denials happen. The counts are checked before anything is timed.
DECISIONS: dict[str, tuple[str, tuple[tuple[str, str], ...], str]] = {
    "allowed": ("ann@shop.example", (("name", "Ann"), ("custom:plan", "pro")), "horse 42 x"),
    "1 violation": ("ann@shop.example", (("name", "Ann"), ("custom:plan", "pro")), "horse 42"),
    "2 violations": ("ann@shop.example", (("name", "Ann"), ("custom:plan", "gold")), "horse 42"),
    "3 violations": ("ann@shop.example", (("custom:plan", "gold"),), "horse 42"),
    "4 violations": ("ann@shop.example", (("custom:plan", "gold"), ("sub", "x")), "horse 42"),
    "5 violations": ("ann@shop.example", (("custom:plan", "gold"), ("sub", "x"), ("custom:x", "y")), "horse 42"),
}
WHAT = {
    "allowed": "name, plan and a good password",
    "1 violation": "password too short",
    "2 violations": "+ plan not one of the values",
    "3 violations": "+ name missing",
    "4 violations": "+ a reserved attribute (sub)",
    "5 violations": "+ an unknown attribute",
}


class NamedPools:
    """A binder without a Cognito behind it: the pool's name stands for its ids (reload is timed alone)."""

    def bind(self, name: str, policies: Sequence[Policy]) -> PoolBinding:
        return PoolBinding(name, name, name)


def per_call_us(function: Callable[[], object], calls: int = CALLS) -> float:
    rounds = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        for _ in range(calls):
            function()
        rounds.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(rounds)


def _requests(shop: TenantPolicy) -> dict[str, PolicyRequest]:
    requests = {}
    for label, (username, attributes, password) in DECISIONS.items():
        request = PolicyRequest(Operation.SIGN_UP, username, attributes, password)
        found = len(evaluate(shop, request).violations)
        expected = 0 if label == "allowed" else int(label.split()[0])
        assert found == expected, f"{label}: the engine found {found} violations"
        requests[label] = request
    return requests


def decision_figures() -> dict[str, float]:
    """Microseconds per decision (median of rounds) for each row of DECISIONS, and the baseline's."""
    shop = load_directory(ROOT / "policies")["shop"]
    figures = {BASELINE: per_call_us(lambda: json.loads(BODY))}
    for label, request in _requests(shop).items():
        figures[label] = per_call_us(partial(evaluate, shop, request))
    return figures


def generate(directory: Path, count: int) -> None:
    """`count` tenants, alternating the demo shapes, each on its own pool."""
    sources = [(ROOT / "policies" / name).read_text(encoding="utf-8") for name in ("acme.yaml", "shop.yaml")]
    for n in range(count):
        text = sources[n % 2]
        pool = "acme" if n % 2 == 0 else "shop"
        # Only the top-level keys: `pages:` has a display_name of its own (a mapping).
        text = text.replace(f"\n  user_pool: {pool}\n", f"\n  user_pool: pool{n:05d}\n", 1)
        text = text.replace("\ndisplay_name: ", f"\ndisplay_name: T{n} ", 1)
        (directory / f"tenant{n:05d}.yaml").write_text(text, encoding="utf-8")


@contextmanager
def generated(count: int) -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="regapi-bench-"))
    try:
        generate(directory, count)
        yield directory
    finally:
        shutil.rmtree(directory)


def _timed_load(directory: Path, count: int) -> tuple[float, dict[str, TenantPolicy]]:
    # load_each freezes what it loads, as a server keeps it for good: start each round as a fresh process
    # would, with nothing frozen or left over from the one before.
    gc.unfreeze()
    gc.collect()
    start = time.perf_counter()
    tenants, refused = load_each(directory)
    seconds = time.perf_counter() - start
    assert not refused, f"{len(refused)} files refused, such as {next(iter(refused.values()))}"
    assert len(tenants) == count
    return seconds, tenants


def load_seconds(count: int = 10_000, rounds: int = 3) -> float:
    """Median seconds to load `count` generated tenant files with the loader the server starts with."""
    with generated(count) as directory:
        return statistics.median(_timed_load(directory, count)[0] for _ in range(rounds))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3, help="loads of the whole directory (median)")
    args = parser.parse_args()
    count = args.tenants

    figures = decision_figures()
    baseline = figures.pop(BASELINE)
    print(f"baseline: json.loads of a signUp request body      {baseline:7.2f} us")
    print(f"policy engine, median us per decision ({ROUNDS} rounds of {CALLS} calls), shop sign_up:")
    for label, value in figures.items():
        print(f"  {label:<13} {WHAT[label]:<33} {value:7.2f} us  ({value / baseline:4.1f}x baseline)")

    with generated(count) as directory:
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        times: list[float] = []
        tenants: dict[str, TenantPolicy] = {}
        rss_after = 0
        for _ in range(args.rounds):
            tenants = {}  # the last round's tenants are freed before the next round loads
            seconds, tenants = _timed_load(directory, count)
            times.append(seconds)
            rss_after = rss_after or resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        median = statistics.median(times)
        print(
            f"load {count} tenant files (load_each): median {median:.2f} s of {len(times)} "
            f"({min(times):.2f} to {max(times):.2f} s; {median / count * 1e3:.3f} ms per file)"
        )
        print(f"  process max RSS grew {(rss_after - rss_before) / 1024:.0f} MB while loading")
        # Measured apart: tracemalloc slows allocation several times, so it never shares a timed run.
        sample = directory / "sample"
        sample.mkdir()
        for path in sorted(directory.glob("*.yaml"))[:1000]:
            shutil.copy(path, sample / path.name)
        tracemalloc.start()
        kept = load_directory(sample)
        held, _ = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        per_tenant = held / len(kept)
        total = per_tenant * len(tenants) / 2**20
        print(f"  memory held per tenant {per_tenant / 1024:.1f} KiB, so {total:.0f} MB for all")
        del kept

        store = PolicyStore(tenants)
        reloader = PolicyReloader(directory, store, NamedPools(), {})
        changed = directory / f"tenant{count // 2:05d}.yaml"
        reloads = []
        for attempt in range(20):
            text = changed.read_text(encoding="utf-8").replace("\ndisplay_name: ", f"\ndisplay_name: r{attempt} ", 1)
            changed.write_text(text, encoding="utf-8")
            start = time.perf_counter()
            reloader.apply(changed)
            reloads.append((time.perf_counter() - start) * 1e3)
        assert not store.errors, store.errors
        median, worst = statistics.median(reloads), max(reloads)
        print(f"reload one changed file among {len(store)}: median {median:.2f} ms, max {worst:.2f} ms")


if __name__ == "__main__":
    main()
