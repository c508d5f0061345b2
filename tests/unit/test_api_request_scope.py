"""Two requests resolved at once in one process each see their own event and Lambda context.

Powertools keeps ``current_event`` and ``lambda_context`` as class attributes shared by every
resolver of the process; ``docjobs.api.http.RequestScopedResolver`` keeps them per request
(the local runtime and threaded tests resolve several requests at once)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from docjobs.api.http import Router, build_resolver, current_resolver, tenant_of

EVENTS = Path(__file__).resolve().parents[2] / "events"


def _event(name: str, **changes) -> dict:
    event = json.loads((EVENTS / name).read_text())
    event.update(changes)
    return event


def test_a_request_paused_mid_route_still_sees_its_own_event_after_another_one_ran() -> None:
    router = Router()
    paused, resume = threading.Event(), threading.Event()
    seen: dict[str, object] = {}

    @router.post("/api/jobs")
    def slow_post() -> dict:
        paused.set()
        resume.wait(10)
        resolver = current_resolver()
        seen["body"] = resolver.current_event.json_body
        seen["tenant"] = tenant_of()
        seen["context"] = resolver.lambda_context
        return {"ok": True}

    @router.get("/api/jobs")
    def quick_get() -> dict:
        return {"tenant": tenant_of(), "method": current_resolver().current_event.http_method}

    post_app, get_app = build_resolver(router), build_resolver(router)
    post_event = _event("submit_job.json", body=json.dumps({"mine": True}))
    get_event = _event("list_jobs.json")
    get_event["requestContext"]["authorizer"]["tenant_id"] = "globex"
    post_context, get_context = object(), object()

    answers: dict[str, dict] = {}
    thread = threading.Thread(target=lambda: answers.update(post=post_app.resolve(post_event, post_context)))
    thread.start()
    assert paused.wait(10)
    answers["get"] = get_app.resolve(get_event, get_context)  # runs to the end meanwhile
    resume.set()
    thread.join(10)

    assert answers["post"]["statusCode"] == 200, answers["post"]
    assert seen == {"body": {"mine": True}, "tenant": "acme", "context": post_context}
    assert json.loads(answers["get"]["body"]) == {"tenant": "globex", "method": "GET"}
