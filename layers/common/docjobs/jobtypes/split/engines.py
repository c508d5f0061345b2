"""Which engine classifies pages for ``categories``.

The model engines (``bedrock``, ``openai``) plug in through the model engine seam
(``docjobs.engines.models``), which this deployment does not ship yet: until it does, ``rules``
is the one configured engine, ``auto`` picks it, and asking for a model engine is a 400 that names
the configured engines. ``classify_model`` already speaks the seam's protocol.
"""

from __future__ import annotations

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.split.options import SplitOptions

__all__ = ["CONFIGURED_ENGINES", "check_engine"]

#: In ``auto`` order.
CONFIGURED_ENGINES: tuple[str, ...] = ("rules",)


def check_engine(options: SplitOptions) -> str:
    """The engine a categories job runs on; InputValidationError (400) naming the configured
    engines for one that is not, or for a model the rules engine cannot take."""
    if options.strategy != "categories":
        return "rules"
    requested = options.engine
    if requested != "auto" and requested not in CONFIGURED_ENGINES:
        raise InputValidationError(
            f"options.engine: '{requested}' is not configured in this deployment; "
            f"configured engines: {', '.join(CONFIGURED_ENGINES)}",
            details={"configured_engines": list(CONFIGURED_ENGINES)},
        )
    chosen = CONFIGURED_ENGINES[0] if requested == "auto" else requested
    if chosen == "rules" and options.model is not None:
        raise InputValidationError(f"options.model: the rules engine takes no model (got '{options.model}')")
    return chosen
