"""Choosing a model engine from ``options.engine`` / ``options.model`` and the settings."""

from __future__ import annotations

from dataclasses import dataclass

from docjobs.core.errors import InputValidationError
from docjobs.engines.models.base import ENGINE_NAMES, EngineName, ModelEngine
from docjobs.engines.models.settings import ModelSettings, get_model_settings

RequestedEngine = EngineName | str  # "auto" or an engine name


@dataclass(frozen=True)
class EngineChoice:
    """What a job runs on: ``engine`` is None for ``rules`` (the job type's own code)."""

    name: EngineName
    model: str | None
    engine: ModelEngine | None


def configured_engines(settings: ModelSettings | None = None) -> list[EngineName]:
    """The engines this deployment can run, in ``auto`` order (``rules`` is always there)."""
    settings = settings or get_model_settings()
    found: list[EngineName] = []
    if settings.bedrock_configured:
        found.append("bedrock")
    if settings.openai_configured:
        found.append("openai")
    found.append("rules")
    return found


def _pick(requested: str, settings: ModelSettings, path: str) -> EngineName:
    configured = configured_engines(settings)
    if requested == "auto":
        return configured[0]
    if requested not in ENGINE_NAMES:
        raise InputValidationError(
            f"{path}.engine: unknown engine {requested!r}; use auto or one of: {', '.join(configured)}"
        )
    if requested not in configured:
        raise InputValidationError(
            f"{path}.engine: {requested!r} is not configured in this deployment; "
            f"configured engines: {', '.join(configured)}",
            details={"configured_engines": list(configured)},
        )
    return requested


def _pick_model(name: EngineName, model: str | None, settings: ModelSettings, path: str) -> str | None:
    if name == "rules":
        if model:
            raise InputValidationError(f"{path}.model: the rules engine takes no model (got {model!r})")
        return None
    allowed = settings.bedrock_models() if name == "bedrock" else settings.openai_models()
    if not model:
        return allowed[0]
    if model not in allowed:
        raise InputValidationError(
            f"{path}.model: {model!r} is not allowed for the {name} engine; allowed: {', '.join(allowed)}",
            details={"allowed_models": list(allowed)},
        )
    return model


def check_engine_request(
    engine: str, model: str | None, *, path: str = "options", settings: ModelSettings | None = None
) -> tuple[EngineName, str | None]:
    """Submission-time check (no network): the engine and model this request would run on.

    Raises InputValidationError (400) naming the configured engines or the allowed models.
    """
    settings = settings or get_model_settings()
    name = _pick(engine, settings, path)
    return name, _pick_model(name, model, settings, path)


def resolve_engine(engine: str, model: str | None, *, settings: ModelSettings | None = None) -> EngineChoice:
    """The engine a stage runs on (the same choice as at submission, with the client built)."""
    settings = settings or get_model_settings()
    name, chosen = check_engine_request(engine, model, settings=settings)
    if name == "bedrock":
        from docjobs.engines.models.bedrock import BedrockEngine

        assert chosen is not None
        return EngineChoice(name, chosen, BedrockEngine.from_settings(settings, chosen))
    if name == "openai":
        from docjobs.engines.models.openai_compatible import OpenAICompatibleEngine

        assert chosen is not None
        return EngineChoice(name, chosen, OpenAICompatibleEngine.from_settings(settings, chosen))
    return EngineChoice("rules", None, None)
