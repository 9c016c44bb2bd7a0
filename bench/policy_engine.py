"""Policy engine figures: microseconds per decision for each demo policy and operation; load time and
memory for 10,000 tenant files; time to reload one changed file among them.

Run: `.venv/bin/python bench/policy_engine.py [--tenants N]`. It prints its figures, with a baseline
measured in the same run (json.loads of a small GraphQL request body, a cost every request pays
anyway) so that the figures compare across machines as ratios.
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
from collections.abc import Callable, Sequence
from pathlib import Path

from api.cognito.port import PoolBinding
from api.policy import Operation, Policy, TenantPolicy, evaluate, load_directory
from api.policy.engine import PolicyRequest
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


def decisions(tenants: dict[str, TenantPolicy]) -> dict[str, tuple[TenantPolicy, PolicyRequest]]:
    acme, shop = tenants["acme"], tenants["shop"]
    return {
        "shop sign_up, allowed": (
            shop,
            PolicyRequest(
                Operation.SIGN_UP, "ann@shop.example", (("name", "Ann"), ("custom:plan", "pro")), "horse 42 x"
            ),
        ),
        "shop sign_up, 5 violations": (
            shop,
            PolicyRequest(Operation.SIGN_UP, "ann", (("custom:plan", "gold"), ("sub", "x")), "short"),
        ),
        "shop invite, allowed": (shop, PolicyRequest(Operation.INVITE, "bob@shop.example", (("custom:plan", "free"),))),
        "acme invite, allowed": (
            acme,
            PolicyRequest(
                Operation.INVITE, "alice", (("email", "alice@acme.example"), ("custom:employee_id", "E123456"))
            ),
        ),
        "acme sign_up, refused": (acme, PolicyRequest(Operation.SIGN_UP, "eve", (("email", "eve@acme.example"),), "x")),
        "acme first_sign_in, allowed": (
            acme,
            PolicyRequest(
                Operation.FIRST_SIGN_IN,
                "alice",
                (("name", "Alice"),),
                "Str0ng-Passw0rd!",
                existing_attributes=frozenset({"email", "custom:employee_id"}),
            ),
        ),
    }


def generate(directory: Path, count: int) -> None:
    """`count` tenants, alternating the two demo shapes, each on its own pool."""
    sources = [(ROOT / "policies" / name).read_text(encoding="utf-8") for name in ("acme.yaml", "shop.yaml")]
    for n in range(count):
        text = sources[n % 2]
        pool = "acme" if n % 2 == 0 else "shop"
        text = text.replace(f"user_pool: {pool}", f"user_pool: pool{n:05d}").replace(
            "display_name: ", f"display_name: T{n} "
        )
        (directory / f"tenant{n:05d}.yaml").write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tenants", type=int, default=10_000)
    count = parser.parse_args().tenants

    baseline = per_call_us(lambda: json.loads(BODY))
    print(f"baseline: json.loads of a signUp request body        {baseline:7.2f} us")
    print("policy engine, median us per decision:")
    for name, (policy, request) in decisions(load_directory(ROOT / "policies")).items():
        value = per_call_us(lambda policy=policy, request=request: evaluate(policy, request))
        print(f"  {name:<44} {value:7.2f} us  ({value / baseline:4.1f}x baseline)")

    directory = Path(tempfile.mkdtemp(prefix="regapi-bench-"))
    try:
        generate(directory, count)
        gc.collect()
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        tenants = load_directory(directory)
        load_seconds = time.perf_counter() - start
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        per_file = load_seconds / len(tenants) * 1e3
        print(f"load {len(tenants)} tenant files: {load_seconds:.2f} s ({per_file:.3f} ms per file)")
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
        times = []
        for attempt in range(20):
            text = changed.read_text(encoding="utf-8").replace("display_name: ", f"display_name: r{attempt} ", 1)
            changed.write_text(text, encoding="utf-8")
            start = time.perf_counter()
            reloader.apply(changed)
            times.append((time.perf_counter() - start) * 1e3)
        median, worst = statistics.median(times), max(times)
        print(f"reload one changed file among {len(store)}: median {median:.2f} ms, max {worst:.2f} ms")
    finally:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
