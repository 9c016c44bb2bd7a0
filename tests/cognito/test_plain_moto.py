"""Proof that the conformance suite tests something: on plain moto, without regapi's fidelity layer,
every one of its tests fails, because each checks a Cognito rule moto does not enforce; except the few
below, which pin a rule moto already gets right, so that the layer keeps it."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

SUITE = Path(__file__).resolve().parent / "conformance"
REPO = SUITE.parents[2]
# Conformance tests of rules plain moto already follows, each with what moto gets right.
PASS_ON_PLAIN_MOTO = {
    "test_custom_attributes_cannot_be_searched": "moto's ListUsers refuses a filter on a custom attribute too",
}


def test_every_conformance_test_fails_on_plain_moto(tmp_path: Path) -> None:
    report = tmp_path / "plain.xml"
    env = {**os.environ, "REGAPI_CONFORMANCE_PLAIN_MOTO": "1"}
    subprocess.run(
        [sys.executable, "-m", "pytest", str(SUITE), "-q", "-p", "no:cacheprovider", f"--junitxml={report}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=300,
        check=False,
    )
    cases = ET.parse(report).getroot().iter("testcase")
    outcomes = {case.get("name"): [child.tag for child in case] for case in cases}
    assert len(outcomes) >= 30
    passed_on_plain_moto = sorted(name for name, tags in outcomes.items() if not {"failure", "error"} & set(tags))
    assert passed_on_plain_moto == sorted(PASS_ON_PLAIN_MOTO), (
        f"these pass without the fidelity layer: {passed_on_plain_moto}"
    )
