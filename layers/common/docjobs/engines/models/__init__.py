"""The model engine seam: structured JSON from a language model, for every job type that needs judgement.

One protocol (:class:`ModelEngine`), one module per engine, one factory that reads settings:

* ``bedrock`` (:mod:`.bedrock`) - Amazon Bedrock Runtime ``Converse`` through boto3; structured
  output by a forced tool whose ``inputSchema`` is the caller's JSON Schema.
* ``openai`` (:mod:`.openai_compatible`) - any OpenAI-compatible chat-completions server (Ollama,
  llama.cpp server, vLLM, OpenAI) through the official ``openai`` client; ``response_format``
  ``json_schema`` where the server takes it, else JSON mode, the answer validated either way.
* ``rules`` - no model at all. The factory answers ``None`` for it and the job type runs its own
  deterministic code (extract: form fields, labels and tables; split: keyword scores).

How a job type uses it::

    from docjobs.engines.models import resolve_engine, complete_validated, check_engine_request

    # at submission (no network): a 400 naming the configured engines / allowed models
    check_engine_request(options.engine, options.model, path="options")

    # in the stage
    choice = resolve_engine(options.engine, options.model)   # "auto" -> bedrock, openai, rules
    if choice.engine is None:                                # rules
        ...deterministic code...
    else:
        data, usage = complete_validated(choice.engine, system=..., user=..., schema=schema)
        # data: a dict that validates against ``schema`` (re-asked once with the validation
        #       errors; a second invalid answer raises ModelOutputInvalidError, VALIDATION_ERROR)
        # usage: Usage(input_tokens, output_tokens); add them up across calls with ``+``
    metadata = {"engine": choice.name, "model": choice.model, "usage": usage.model_dump()}

``engine.complete_json(system, user, schema) -> (data, usage)`` is the one call an engine
implements: ``data`` is the parsed JSON object (not yet validated against ``schema``). Windowing
long inputs is the caller's job: ``engine.max_input_tokens`` is the budget for ``system + user``
(estimate with :func:`estimate_tokens`), and an engine that is told the input is still too long
raises :class:`ModelInputTooLongError` so the caller can halve its window.

Errors (all :class:`docjobs.core.errors.DocjobsError`, named so the state machine's Retry/Catch match):
``ModelThrottledError`` (TransientError: throttling, 429, 5xx, service unavailable - the ASL
retries it with long jittered backoff), ``ModelTimeoutError`` (TIMEOUT: a read timeout or a
model timeout - retried a few times, then the job fails TIMEOUT), ``ModelOutputInvalidError``
(VALIDATION_ERROR: output that is not JSON or does not validate after the re-ask), and
``ModelConfigurationError`` (a bad model id, credentials or permissions: never retried).
"""

from docjobs.engines.models.base import (
    ENGINE_NAMES,
    EngineName,
    ModelConfigurationError,
    ModelEngine,
    ModelInputTooLongError,
    ModelOutputInvalidError,
    ModelThrottledError,
    ModelTimeoutError,
    Usage,
    complete_validated,
    estimate_tokens,
    schema_errors,
)
from docjobs.engines.models.factory import (
    EngineChoice,
    check_engine_request,
    configured_engines,
    resolve_engine,
)
from docjobs.engines.models.settings import ModelSettings, get_model_settings

__all__ = [
    "ENGINE_NAMES",
    "EngineChoice",
    "EngineName",
    "ModelConfigurationError",
    "ModelEngine",
    "ModelInputTooLongError",
    "ModelOutputInvalidError",
    "ModelSettings",
    "ModelThrottledError",
    "ModelTimeoutError",
    "Usage",
    "check_engine_request",
    "complete_validated",
    "configured_engines",
    "estimate_tokens",
    "get_model_settings",
    "resolve_engine",
    "schema_errors",
]
