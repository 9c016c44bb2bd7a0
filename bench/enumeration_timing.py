"""Does signUp's answer time tell a taken username from a new one? Median and p90 over interleaved
requests, on the embedded backend, in-process over ASGI (`.venv/bin/python bench/enumeration_timing.py`).

The baseline in the same run is the same request for a new username; the figure that matters is the
ratio of the taken-username timings to it.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from pathlib import Path

import httpx

from api.app import create_app
from api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = 150
SIGN_UP = """mutation($i: SignUpInput!) { signUp(input: $i) { __typename ... on SignUpSuccess { nextStep } } }"""


def body(username: str) -> dict[str, object]:
    attributes = [{"name": "name", "value": "Timing"}, {"name": "custom:plan", "value": "free"}]
    return {
        "query": SIGN_UP,
        "variables": {
            "i": {"tenant": "shop", "username": username, "password": "timing pass 1", "attributes": attributes}
        },
    }


async def main() -> None:
    app = create_app(Settings(policy_dir=ROOT / "policies", reload=False, trusted_proxies=("127.0.0.1",)))
    transport = httpx.ASGITransport(app=app)
    new, taken = [], []
    async with httpx.AsyncClient(transport=transport, base_url="http://regapi") as client:
        taken_name = f"taken-{uuid.uuid4().hex[:8]}@shop.example"
        await client.post("/graphql", json=body(taken_name))
        for n in range(ROUNDS):
            # Each round from its own address, so the attempt limits stay out of the measurement.
            headers = {"X-Forwarded-For": f"10.0.{n // 250}.{n % 250 + 1}"}
            for bucket, name in ((new, f"new-{uuid.uuid4().hex[:8]}@shop.example"), (taken, taken_name)):
                start = time.perf_counter()
                response = await client.post("/graphql", json=body(name), headers=headers)
                bucket.append((time.perf_counter() - start) * 1e3)
                assert response.json()["data"]["signUp"]["nextStep"] == "CONFIRM_SIGN_UP"
    for label, values in (("new username (baseline)", new), ("taken username", taken)):
        values.sort()
        p90 = values[int(len(values) * 0.9)]
        print(f"{label:<24} median {statistics.median(values):6.2f} ms   p90 {p90:6.2f} ms")
    print(f"taken/new median ratio: {statistics.median(taken) / statistics.median(new):.2f}")


if __name__ == "__main__":
    asyncio.run(main())
