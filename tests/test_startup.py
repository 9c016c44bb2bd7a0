"""api/startup.py: the serving process, once its app is built, tuned for answering (`_settle`)."""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from api import startup


@pytest.fixture
def restored() -> Iterator[None]:
    threshold, interval = gc.get_threshold(), sys.getswitchinterval()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)
    sys.setswitchinterval(interval)


@pytest.mark.usefixtures("restored")
def test_the_serving_process_prefers_the_event_loop_and_short_collections() -> None:
    gc.set_threshold(700, 10, 10)
    sys.setswitchinterval(0.005)
    startup._settle()  # what regapi serve and every worker call once their app is built
    assert gc.get_threshold() == (startup.YOUNG_GENERATION, 10, 10)
    assert sys.getswitchinterval() == pytest.approx(startup.SWITCH_INTERVAL)
    assert gc.get_freeze_count() > 0  # what was built lives as long as the process, out of the scans
