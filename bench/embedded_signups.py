"""Sign-ups per second on the embedded Cognito as its pool fills: SignUp through boto3 (the adapter's
own client) on a pool as regapi provisions the shop tenant's (the e-mail address as the username,
compared case-insensitively; with `--alias`, a pool whose usernames are e-mail aliases instead), with
0, 10,000 and 100,000 users already in it (`.venv/bin/python bench/embedded_signups.py [--quick]`).

Each size is measured twice in the same run: with the users index (what runs), and with the lookups
scanning every user as before it (the baseline: moto's `_get_user`, then the case-insensitive scan).
One client signs up one user after another (500, or fewer when 8 seconds are up), for the rate and
the p50 and p99 of each SignUp's time; then 32 clients at once (threads released together, 10 sign-ups
each, one on the slowest baseline) on a fresh pool of the same size, for the rate under the request
lock. The measured sign-ups add to their pool: the "0" row ends at 500 users. The existing users are
put straight into the pool, past the API (api.cognito.embedded.lookups.add_users).
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time
import uuid

from api.cognito.embedded import EmbeddedCognito, lookups
from api.cognito.embedded.outbox import Outbox

PASSWORD = "Bench pass 1234"
CLIENTS = 32


def new_pool(embedded: EmbeddedCognito, alias: bool) -> tuple[str, str]:
    pool_id = embedded.client.create_user_pool(
        PoolName=f"bench-{uuid.uuid4().hex[:6]}",
        **({"UsernameAttributes": ["email"]} if alias else {}),
        UsernameConfiguration={"CaseSensitive": False},
        AutoVerifiedAttributes=["email"],
        Policies={"PasswordPolicy": {"MinimumLength": 8}},
    )["UserPool"]["Id"]
    embedded.attach(pool_id)
    client = embedded.client.create_user_pool_client(UserPoolId=pool_id, ClientName="bench")["UserPoolClient"]
    return pool_id, client["ClientId"]


def fill(pool_id: str, count: int) -> float:
    start = time.perf_counter()
    users = ((f"existing-{n}@bench.example", {"email": f"existing-{n}@bench.example"}) for n in range(count))
    lookups.add_users(pool_id, users, PASSWORD)
    return time.perf_counter() - start


def one_client(embedded: EmbeddedCognito, client_id: str, count: int, budget: float) -> tuple[float, list[float]]:
    """Sign-ups one after another, up to `count` or until `budget` seconds are spent (at least 5)."""
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < count and (len(times) < 5 or time.perf_counter() - start < budget):
        email = f"new-{uuid.uuid4().hex[:12]}@bench.example"
        began = time.perf_counter()
        embedded.client.sign_up(ClientId=client_id, Username=email, Password=PASSWORD, UserAttributes=[address(email)])
        times.append(time.perf_counter() - began)
    return len(times) / (time.perf_counter() - start), times


def many_clients(embedded: EmbeddedCognito, client_id: str, each: int) -> float:
    """CLIENTS threads released together, `each` sign-ups apiece: sign-ups per second for them all."""
    barrier = threading.Barrier(CLIENTS + 1)
    failures: list[BaseException] = []

    def run() -> None:
        barrier.wait()
        for _ in range(each):
            try:
                email = f"many-{uuid.uuid4().hex[:12]}@bench.example"
                embedded.client.sign_up(
                    ClientId=client_id, Username=email, Password=PASSWORD, UserAttributes=[address(email)]
                )
            except Exception as exc:  # counted and shown: the benchmark is no test, but says what failed
                failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(CLIENTS)]
    for thread in threads:
        thread.start()
    barrier.wait()
    start = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    if failures:
        print(f"    {len(failures)} of {CLIENTS * each} concurrent sign-ups failed: {failures[0]!r}")
    return CLIENTS * each / elapsed


def address(email: str) -> dict[str, str]:
    return {"Name": "email", "Value": email}


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller pools (0, 1,000, 10,000) and fewer sign-ups")
    parser.add_argument("--alias", action="store_true", help="e-mail aliases as usernames (UsernameAttributes)")
    args = parser.parse_args()
    sizes = [0, 1_000, 10_000] if args.quick else [0, 10_000, 100_000]
    sign_ups, budget, each = (200, 2.0, 5) if args.quick else (500, 8.0, 10)
    embedded = EmbeddedCognito(outbox=Outbox(console=None))
    kind = "e-mail aliases as usernames" if args.alias else "the address as the username"
    print(f"SignUp on the embedded Cognito ({kind}, any letter case): one client, then {CLIENTS} at once")
    print(f"{'lookups':<8} {'users':>8} {'sign-ups/s':>11} {'p50 ms':>8} {'p99 ms':>8} {f'{CLIENTS} clients/s':>13}")
    for scanning in (False, True):
        lookups.look_up_by_scan(scanning)
        try:
            for size in sizes:
                pool_id, client_id = new_pool(embedded, args.alias)
                filled = fill(pool_id, size)
                rate, times = one_client(embedded, client_id, sign_ups, budget)
                pool_id, client_id = new_pool(embedded, args.alias)  # a fresh pool of the same size for the 32 clients
                fill(pool_id, size)
                concurrent = many_clients(embedded, client_id, each if not scanning or size <= 10_000 else 1)
                print(
                    f"{'scan' if scanning else 'index':<8} {size:>8,} {rate:>11.0f} "
                    f"{statistics.median(times) * 1e3:>8.2f} {percentile(times, 0.99) * 1e3:>8.2f} "
                    f"{concurrent:>13.0f}   ({len(times)} sign-ups; pool filled in {filled:.1f} s)",
                    flush=True,
                )
        finally:
            lookups.look_up_by_scan(False)


if __name__ == "__main__":
    main()
