"""One located value of the result (``result.fields[]``)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Source = Literal["form_field", "text", "table", "model"]


@dataclass
class FieldValue:
    path: str  # JSON Pointer into data, array indices included
    value: Any
    text: str | None
    page: int | None
    bbox: list[float] | None
    confidence: float
    source: Source
    verified: bool

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["confidence"] = round(self.confidence, 3)
        return out


def pointer(parts: tuple[str | int, ...]) -> str:
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in parts)
