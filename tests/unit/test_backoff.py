"""Back-off under load: Textract polling spreads out, and every stage retries throttling with
many jittered attempts (statemachines/*.asl.json as built)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_textract_polls_back_off_exponentially_with_jitter_up_to_a_minute(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from docjobs.core.settings import get_settings
    from docjobs.pipeline.stages.ocr_pages import MAX_POLL_SECONDS, next_poll_seconds

    monkeypatch.setenv("JOBS_TABLE_NAME", "jobs")
    monkeypatch.setenv("DOCUMENTS_BUCKET_NAME", "docs")
    monkeypatch.setenv("TEXTRACT_POLL_SECONDS", "5")
    get_settings.cache_clear()
    try:
        first = [next_poll_seconds(0) for _ in range(200)]
        late = [next_poll_seconds(10) for _ in range(200)]
        assert all(2 <= s <= 5 for s in first)
        assert all(2 <= s <= MAX_POLL_SECONDS for s in late)
        assert max(late) > 30 and len(set(late)) > 10, "later polls spread out (jitter)"
        monkeypatch.setenv("TEXTRACT_POLL_SECONDS", "0")
        get_settings.cache_clear()
        assert next_poll_seconds(5) == 0
    finally:
        get_settings.cache_clear()


def _tasks(definition: dict) -> list[dict]:
    found = []
    for state in definition["States"].values():
        if state["Type"] == "Task":
            found.append(state)
        for branch in [state.get("ItemProcessor") or state.get("Iterator"), *state.get("Branches", [])]:
            if branch:
                found += _tasks(branch)
    return found


@pytest.mark.parametrize("asl", sorted((ROOT / "statemachines").glob("*.asl.json")), ids=lambda p: p.name)
def test_every_stage_retries_throttling_many_times_with_full_jitter(asl: Path) -> None:
    for task in _tasks(json.loads(asl.read_text())):
        if "Retry" not in task:
            continue
        throttling = next(r for r in task["Retry"] if "Lambda.TooManyRequestsException" in r["ErrorEquals"])
        assert "ThrottledError" in throttling["ErrorEquals"]
        assert throttling["MaxAttempts"] >= 6
        assert throttling["JitterStrategy"] == "FULL"
        assert 0 < throttling["MaxDelaySeconds"] <= 120
