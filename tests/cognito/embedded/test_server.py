"""`regapi cognito serve` used as any Cognito endpoint: the README's boto3 script, run as printed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "examples" / "standalone_boto3.py"


def test_readme_shows_the_script_it_documents() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert SCRIPT.read_text(encoding="utf-8").strip() in readme


def test_the_boto3_script_runs_against_the_standalone_endpoint(standalone_cognito: str) -> None:
    env = {**os.environ, "COGNITO_ENDPOINT": standalone_cognito}
    result = subprocess.run(
        [sys.executable, str(SCRIPT)], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "code sent to a***@e***",
        "a wrong code is refused",
        "signed in; the access token expires in 3600 seconds",
    ]


def test_outbox_and_clock_routes(standalone_cognito: str) -> None:
    import httpx  # noqa: PLC0415

    with httpx.Client(base_url=standalone_cognito) as http:
        assert http.get("/outbox", params={"username": "nobody-at-all"}).json() == []
        assert http.post("/clock", params={"advance": "x"}).status_code == 400
