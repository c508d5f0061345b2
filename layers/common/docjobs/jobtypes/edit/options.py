"""Options of an ``edit`` job, validated at submission.

``operations`` is a list discriminated on ``op``; everything checkable without the document is
checked here (unknown op, missing or unknown fields, page-range syntax, degrees, reorder shape,
regular-expression syntax), and every error names its option path, e.g.
``options.operations[2].pages``. What needs the document (a field name the form lacks, a page
beyond the end) is checked when the job runs, with the same paths.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import regex
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.edit.page_ranges import PageSelection, parse_page_selection

OP_NAMES = (
    "fill_form",
    "redact",
    "delete_pages",
    "rotate_pages",
    "reorder_pages",
    "append_document",
    "stamp",
    "set_metadata",
    "scrub_metadata",
)
PII_PRESETS = ("email", "phone", "credit_card", "iban", "us_ssn")
MAX_OPERATIONS = 50

#: Named colours accepted besides ``#rrggbb``.
NAMED_COLORS: dict[str, tuple[float, float, float]] = {
    "black": (0.0, 0.0, 0.0),
    "white": (1.0, 1.0, 1.0),
    "gray": (0.5, 0.5, 0.5),
    "red": (0.8, 0.0, 0.0),
    "blue": (0.0, 0.0, 0.8),
}
_HEX_COLOR = regex.compile(r"^#[0-9a-fA-F]{6}$")


def _check_pages(value: str) -> str:
    parse_page_selection(value)
    return value.strip()


def _check_color(value: str) -> str:
    if value.lower() in NAMED_COLORS or _HEX_COLOR.match(value):
        return value
    raise ValueError(f"'{value}' is not a colour: use #rrggbb or one of {', '.join(NAMED_COLORS)}")


def color_rgb(value: str) -> tuple[float, float, float]:
    """``#rrggbb`` or a named colour as PyMuPDF's 0..1 RGB triple."""
    named = NAMED_COLORS.get(value.lower())
    if named is not None:
        return named
    return tuple(int(value[i : i + 2], 16) / 255 for i in (1, 3, 5))  # type: ignore[return-value]


def _check_pattern(pattern: str) -> str:
    try:
        compiled = regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from exc
    if compiled.fullmatch("", timeout=0.1) is not None:
        raise ValueError("the pattern matches the empty string, so it would redact nothing")
    return pattern


Pages = Annotated[str, AfterValidator(_check_pages)]
Color = Annotated[str, AfterValidator(_check_color)]
ShortText = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
RegexPattern = Annotated[
    str, StringConstraints(min_length=1, max_length=1000), AfterValidator(_check_pattern)
]


def selection(pages: str | None) -> PageSelection | None:
    return parse_page_selection(pages) if pages is not None else None


class _Operation(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FillFormOp(_Operation):
    """Fill AcroForm fields by name; ``flatten`` bakes the form into the page content."""

    op: Literal["fill_form"]
    values: dict[
        Annotated[str, StringConstraints(min_length=1, max_length=500)],
        str | bool | int | float | list[str],
    ] = Field(min_length=1, max_length=2000, description="field name -> value")
    flatten: bool = Field(default=False, description="bake every field into the page and remove the widgets")


class RedactOp(_Operation):
    """Remove text for real: exact strings, regular expressions and PII presets."""

    op: Literal["redact"]
    text: list[ShortText] = Field(default_factory=list, max_length=500, description="exact strings")
    case_sensitive: bool = Field(default=False, description="match `text` case-sensitively")
    patterns: list[RegexPattern] = Field(
        default_factory=list, max_length=50, description="regular expressions (run with a time limit)"
    )
    pii: list[Literal["email", "phone", "credit_card", "iban", "us_ssn"]] = Field(
        default_factory=list, description="built-in detectors (card numbers pass Luhn, IBANs their checksum)"
    )
    pii_engine: Literal["comprehend"] | None = Field(
        default=None, description="also run Amazon Comprehend DetectPiiEntities on the page text"
    )
    phone_region: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")] = Field(
        default="US", description="region for phone numbers written without +country code"
    )
    pages: Pages | None = Field(default=None, description="page selection, e.g. '1-3,7,10-'; default all")
    fill: Color = Field(default="black", description="box colour: #rrggbb or a named colour")

    @model_validator(mode="after")
    def _something_to_redact(self) -> RedactOp:
        if not (self.text or self.patterns or self.pii or self.pii_engine):
            raise ValueError("give at least one of text, patterns, pii or pii_engine")
        return self


class DeletePagesOp(_Operation):
    op: Literal["delete_pages"]
    pages: Pages = Field(description="pages to delete, e.g. '2,5-7'")


class RotatePagesOp(_Operation):
    op: Literal["rotate_pages"]
    pages: Pages | None = Field(default=None, description="default all pages")
    degrees: Literal[90, 180, 270] = Field(description="clockwise, added to the page's rotation")


class ReorderPagesOp(_Operation):
    op: Literal["reorder_pages"]
    order: list[int] = Field(
        min_length=1, max_length=100_000, description="a permutation of all pages, 1-based"
    )

    @field_validator("order")
    @classmethod
    def _is_permutation(cls, order: list[int]) -> list[int]:
        seen: set[int] = set()
        for value in order:
            if value < 1 or value > len(order):
                raise ValueError(
                    f"page {value} does not fit a permutation of {len(order)} pages (1..{len(order)})"
                )
            if value in seen:
                raise ValueError(f"page {value} appears twice: order must name every page exactly once")
            seen.add(value)
        return order


class AppendDocumentOp(_Operation):
    op: Literal["append_document"]
    document_id: Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")]


class StampOp(_Operation):
    op: Literal["stamp"]
    text: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    pages: Pages | None = Field(default=None, description="default all pages")
    position: Literal["center", "top", "bottom"] = "center"
    font_size: float = Field(default=48.0, ge=4, le=400)
    opacity: float = Field(default=0.3, ge=0.0, le=1.0)
    rotate: float = Field(default=0.0, ge=-360, le=360, description="degrees counter-clockwise")
    color: Color = Field(default="gray")


class SetMetadataOp(_Operation):
    op: Literal["set_metadata"]
    title: Annotated[str, StringConstraints(max_length=2000)] | None = None
    author: Annotated[str, StringConstraints(max_length=2000)] | None = None
    subject: Annotated[str, StringConstraints(max_length=2000)] | None = None
    keywords: Annotated[str, StringConstraints(max_length=2000)] | None = None

    @model_validator(mode="after")
    def _something_to_set(self) -> SetMetadataOp:
        if all(v is None for v in (self.title, self.author, self.subject, self.keywords)):
            raise ValueError("give at least one of title, author, subject, keywords")
        return self

    def values(self) -> dict[str, str]:
        fields = {
            "title": self.title,
            "author": self.author,
            "subject": self.subject,
            "keywords": self.keywords,
        }
        return {k: v for k, v in fields.items() if v is not None}


class ScrubMetadataOp(_Operation):
    """Remove the info dictionary, XMP, embedded files and JavaScript."""

    op: Literal["scrub_metadata"]


Operation = Annotated[
    FillFormOp
    | RedactOp
    | DeletePagesOp
    | RotatePagesOp
    | ReorderPagesOp
    | AppendDocumentOp
    | StampOp
    | SetMetadataOp
    | ScrubMetadataOp,
    Field(discriminator="op"),
]


class EditOptions(BaseModel):
    """Options of an ``edit`` job."""

    model_config = ConfigDict(extra="forbid")

    operations: list[Operation] = Field(
        min_length=1, max_length=MAX_OPERATIONS, description="applied in order to the PDF"
    )
    ocr: Literal["off", "auto"] = Field(
        default="off",
        description=(
            "auto: OCR pages without a text layer while parsing, so a redaction finds matches on "
            "scanned pages too and removes them from the image (the pixels under each matching word)"
        ),
    )
    output_filename: (
        Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^/\\\x00-\x1f]+$")] | None
    ) = Field(default=None, description="name of the output document; default <input>_edited.pdf")

    @classmethod
    def model_validate(cls, obj: Any, **kwargs: Any) -> EditOptions:
        """As pydantic's, but error locations name options the way clients write them: pydantic
        puts the discriminator's value in the path of a union member (``operations.2.redact.pages``),
        which is not where the client's mistake is (``operations[2].pages``)."""
        try:
            return super().model_validate(obj, **kwargs)
        except ValidationError as exc:
            raise ValidationError.from_exception_data(
                exc.title,
                [_client_location(error) for error in exc.errors(include_url=False)],
            ) from None

    def uses_comprehend(self) -> bool:
        return any(isinstance(op, RedactOp) and op.pii_engine == "comprehend" for op in self.operations)

    def appended_document_ids(self) -> list[tuple[int, str]]:
        return [
            (i, op.document_id) for i, op in enumerate(self.operations) if isinstance(op, AppendDocumentOp)
        ]


def operation_path(index: int, field: str | None = None) -> str:
    return f"options.operations[{index}]" + (f".{field}" if field else "")


def option_path(loc: tuple[int | str, ...]) -> str:
    """``('operations', 2, 'redact', 'pages')`` -> ``options.operations[2].pages``: list indexes
    in brackets, the union's discriminator tag dropped."""
    path = "options"
    parts = list(loc)
    i = 0
    while i < len(parts):
        part = parts[i]
        if isinstance(part, int):
            path += f"[{part}]"
            # after an operation's index pydantic inserts the tag it dispatched on
            if i >= 1 and parts[i - 1] == "operations" and i + 1 < len(parts) and parts[i + 1] in OP_NAMES:
                i += 1
        else:
            path += f".{part}"
        i += 1
    return path


def _client_location(error: ErrorDetails) -> Any:
    """The error re-addressed: the union tag dropped from the location, and an unknown or missing
    ``op`` reported at ``operations[i].op``."""
    loc = list(error["loc"])
    if len(loc) >= 3 and loc[0] == "operations" and isinstance(loc[1], int) and loc[2] in OP_NAMES:
        del loc[2]
    kind = error["type"]
    ctx = dict(error.get("ctx") or {})
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc.append("op")
    detail: dict[str, Any] = {"type": kind, "loc": tuple(loc), "input": error.get("input")}
    if ctx:
        detail["ctx"] = ctx
    return detail


def _describe(error: ErrorDetails) -> tuple[str, str]:
    loc = tuple(error["loc"])
    kind = error["type"]
    if kind == "union_tag_invalid":
        given = (error.get("ctx") or {}).get("tag")
        return option_path(loc), f"unknown operation '{given}'; expected one of {', '.join(OP_NAMES)}"
    if kind == "union_tag_not_found":
        return option_path(loc), f"missing: each operation needs an op ({', '.join(OP_NAMES)})"
    if kind == "missing":
        return option_path(loc), "missing: this field is required"
    if kind == "extra_forbidden":
        return option_path(loc), "unknown field"
    message = error["msg"].removeprefix("Value error, ")
    return option_path(loc), message


def parse_edit_options(options: dict[str, Any]) -> EditOptions:
    """The validated options, or :class:`InputValidationError` naming every wrong option path."""
    try:
        return EditOptions.model_validate(options)
    except ValidationError as exc:
        problems = [_describe(e) for e in exc.errors()]
        raise InputValidationError(
            "options do not fit an edit job: " + "; ".join(f"{path}: {msg}" for path, msg in problems),
            details={"errors": [{"path": path, "msg": msg} for path, msg in problems]},
        ) from exc
