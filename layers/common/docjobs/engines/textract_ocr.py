"""Amazon Textract OCR, through ``amazon-textract-caller`` (pipeline layer only).

Two paths:

* **Synchronous** — :class:`TextractEngine` implements ``docjobs.engines.ocr.OcrEngine``. Textract's
  synchronous APIs (DetectDocumentText; AnalyzeDocument with ``TABLES``) accept an image or a
  *single-page* PDF of at most 10 MB, so every requested page is cut into its own one-page PDF
  (PyMuPDF ``insert_pdf``) and sent as bytes. An image (PNG/JPEG/TIFF) is sent as it is.
* **Asynchronous** — for multi-page documents, as three stage functions that a Step Functions
  Wait/poll loop calls (no Lambda sleeps while Textract works):

  1. :func:`build_page_subset_pdf` (optional) cuts a PDF of only the pages that need OCR and
     returns the ``page_map`` from its page numbers to the original document's; the stage writes
     it to S3 when fewer pages than the whole document need OCR (Textract bills per page).
  2. :func:`start_text_detection` starts StartDocumentTextDetection (StartDocumentAnalysis with
     ``TABLES``) on the S3 object and returns Textract's JobId. ``client_request_token`` makes a
     retried start return the same JobId instead of starting (and paying for) a second job.
  3. :func:`poll_text_detection` (one cheap ``MaxResults=1`` Get) until ``SUCCEEDED``, then
     :func:`collect_pages` pages through ``NextToken`` and yields one ``ParsedPage`` per page.

Errors: throttling, ``ProvisionedThroughputExceeded``, ``LimitExceeded``, ``InternalServerError``
and network failures raise :class:`docjobs.core.errors.TransientError` (the state machine retries);
``InvalidParameter``, ``UnsupportedDocument``, ``BadDocument``, ``DocumentTooLarge``, a ``FAILED``
job and other client errors raise :class:`docjobs.core.errors.OcrError` with Textract's own message.

IAM actions used: ``textract:DetectDocumentText``, ``textract:AnalyzeDocument``,
``textract:StartDocumentTextDetection``, ``textract:StartDocumentAnalysis``,
``textract:GetDocumentTextDetection``, ``textract:GetDocumentAnalysis``; Textract reads the S3
object with the caller's credentials, so the starting role also needs ``s3:GetObject`` on it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from docjobs.adapters import aws_clients
from docjobs.core.errors import OcrError, ThrottledError, TransientError
from docjobs.engines.pdf.tables import table_to_markdown
from docjobs.engines.pdf.text import escape_markdown

if TYPE_CHECKING:
    from docjobs.engines.pdf import ParsedPage
    from docjobs.engines.pdf.pages import OcrWord

logger = logging.getLogger(__name__)

#: Textract error codes worth retrying (the state machine's Retry on ``TransientError``).
THROTTLING_ERROR_CODES = frozenset(
    {"ThrottlingException", "ProvisionedThroughputExceededException", "LimitExceededException"}
)
TRANSIENT_ERROR_CODES = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "LimitExceededException",
        "InternalServerError",
        "ServiceUnavailableException",
        "RequestTimeoutException",
    }
)
#: Textract error codes that mean the document (or the request) cannot be OCRed as it is.
DOCUMENT_ERROR_CODES = frozenset(
    {
        "InvalidParameterException",
        "UnsupportedDocumentException",
        "BadDocumentException",
        "DocumentTooLargeException",
        "InvalidS3ObjectException",
        "InvalidJobIdException",
        "IdempotentParameterMismatchException",
        "InvalidKMSKeyException",
    }
)

#: Largest page of blocks a Get* call returns.
GET_MAX_RESULTS = 1000
#: Synchronous Textract accepts documents up to this size.
SYNC_MAX_BYTES = 10 * 1024 * 1024

_TOKEN_INVALID = re.compile(r"[^A-Za-z0-9_-]")
_TAG_INVALID = re.compile(r"[^A-Za-z0-9_.:-]")

PollStatus = Literal["IN_PROGRESS", "SUCCEEDED", "FAILED"]


class TextractPoll(BaseModel):
    """One poll of an asynchronous Textract job (small enough for Step Functions state)."""

    job_id: str
    status: PollStatus
    message: str | None = None
    page_count: int | None = None
    warnings: list[str] = Field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status != "IN_PROGRESS"


# --------------------------------------------------------------------------- client and errors


def _client(client: Any | None) -> Any:
    return client if client is not None else aws_clients.textract()


def _call[T](operation: str, fn: Callable[[], T]) -> T:
    """Run one Textract call, translating botocore failures into docjobs errors."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        return fn()
    except ClientError as exc:
        raise _translate_client_error(operation, exc) from exc
    except BotoCoreError as exc:  # connection errors, read timeouts, exhausted retries
        raise TransientError(f"Textract {operation} failed: {exc}") from exc


def _translate_client_error(operation: str, exc: Any) -> Exception:
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    message = str(error.get("Message") or exc)
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    details: dict[str, object] = {"textract_error_code": code, "operation": operation}
    if code in THROTTLING_ERROR_CODES:
        return ThrottledError(f"Textract {operation} is throttled ({code}): {message}", details=details)
    if code in TRANSIENT_ERROR_CODES or (code not in DOCUMENT_ERROR_CODES and status >= 500):
        return TransientError(
            f"Textract {operation} is temporarily unavailable ({code}): {message}", details=details
        )
    return OcrError(f"Textract {operation} failed ({code}): {message}", details=details)


def _features(detect_tables: bool) -> list[Any] | None:
    if not detect_tables:
        return None
    from textractcaller import Textract_Features

    return [Textract_Features.TABLES]


def _client_token(value: str) -> str:
    token = _TOKEN_INVALID.sub("-", value)[:64]
    if not token:
        raise ValueError("client_request_token must not be empty")
    return token


def _job_tag(value: str) -> str:
    return _TAG_INVALID.sub("-", value)[:64]


# --------------------------------------------------------------------------- PDF helpers


def _is_image(data: bytes) -> bool:
    return (
        data.startswith(b"\x89PNG\r\n\x1a\n")
        or data.startswith(b"\xff\xd8\xff")
        or data.startswith(b"II*\x00")
        or data.startswith(b"MM\x00*")
    )


def build_page_subset_pdf(pdf_bytes: bytes, pages: Sequence[int]) -> tuple[bytes, dict[int, int]]:
    """A PDF of only ``pages`` (1-based, in the given order) and its page map.

    The map goes from the new PDF's 1-based page numbers to the original document's; pass it to
    :func:`collect_pages`. Raises ``OcrError`` for a page outside the document.
    """
    import pymupdf

    if not pages:
        raise ValueError("pages must not be empty")
    try:
        src = pymupdf.open(stream=pdf_bytes, filetype="pdf")
    except Exception as exc:  # pymupdf raises several unrelated types
        raise OcrError(f"Cannot open the PDF for OCR: {exc}") from exc
    with src:
        page_map: dict[int, int] = {}
        with pymupdf.open() as out:
            for page in pages:
                if not 1 <= page <= src.page_count:
                    raise OcrError(f"Page {page} is outside the document (1..{src.page_count})")
                out.insert_pdf(src, from_page=page - 1, to_page=page - 1)
                page_map[out.page_count] = page
            data: bytes = out.tobytes(garbage=3, deflate=True)
    return data, page_map


# --------------------------------------------------------------------------- blocks → text


def _child_ids(block: Mapping[str, Any], rel_type: str = "CHILD") -> list[str]:
    ids: list[str] = []
    for rel in block.get("Relationships") or []:
        if rel.get("Type") == rel_type:
            ids.extend(rel.get("Ids") or [])
    return ids


def _cell_text(cell: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> str:
    parts: list[str] = []
    for child_id in _child_ids(cell):
        child = by_id.get(child_id)
        if child is None:
            continue
        if child.get("BlockType") == "WORD":
            parts.append(str(child.get("Text", "")))
        elif child.get("BlockType") == "SELECTION_ELEMENT":
            parts.append("[x]" if child.get("SelectionStatus") == "SELECTED" else "[ ]")
    return " ".join(p for p in parts if p)


def table_rows(table: Mapping[str, Any], by_id: Mapping[str, Mapping[str, Any]]) -> list[list[str]]:
    """The rows of a Textract ``TABLE`` block (render them with ``table_to_markdown``).

    Cells are placed by ``RowIndex``/``ColumnIndex`` (1-based); a spanning cell's text goes in its
    top-left position and the positions it covers stay empty. The first row is the header row.
    """
    grid: dict[tuple[int, int], str] = {}
    n_rows = n_cols = 0
    for cell_id in _child_ids(table):
        cell = by_id.get(cell_id)
        if cell is None or cell.get("BlockType") != "CELL":
            continue
        row = int(cell.get("RowIndex", 1))
        col = int(cell.get("ColumnIndex", 1))
        n_rows = max(n_rows, row + int(cell.get("RowSpan", 1)) - 1)
        n_cols = max(n_cols, col + int(cell.get("ColumnSpan", 1)) - 1)
        grid[(row, col)] = _cell_text(cell, by_id)
    return [[grid.get((row, col), "") for col in range(1, n_cols + 1)] for row in range(1, n_rows + 1)]


def blocks_to_markdown(blocks: Sequence[Mapping[str, Any]], *, detect_tables: bool = False) -> str:
    """The text of one page's blocks: LINE blocks in Textract's reading order, one per line.

    With ``detect_tables`` every ``TABLE`` becomes a markdown table, placed where its first line
    would have been; the LINE blocks whose words all lie inside that table are not repeated.
    """
    by_id: dict[str, Mapping[str, Any]] = {str(b["Id"]): b for b in blocks if "Id" in b}
    word_to_table: dict[str, str] = {}
    tables: dict[str, str] = {}
    if detect_tables:
        for block in blocks:
            if block.get("BlockType") != "TABLE":
                continue
            table_id = str(block.get("Id"))
            tables[table_id] = table_to_markdown(table_rows(block, by_id))
            for cell_id in _child_ids(block):
                cell = by_id.get(cell_id)
                if cell is not None:
                    for word_id in _child_ids(cell):
                        word_to_table[word_id] = table_id
    out: list[str] = []
    emitted: set[str] = set()
    for block in blocks:
        if block.get("BlockType") != "LINE":
            continue
        words = _child_ids(block)
        owners = {word_to_table.get(w) for w in words}
        if words and len(owners) == 1 and None not in owners:
            owner = owners.pop()
            assert owner is not None
            if owner not in emitted:
                emitted.add(owner)
                if tables[owner]:
                    out.extend(["", tables[owner], ""])
            continue
        out.append(escape_markdown(str(block.get("Text", ""))))
    for table_id, markdown in tables.items():  # tables with no LINE of their own
        if table_id not in emitted and markdown:
            out.extend(["", markdown, ""])
    text = "\n".join(out)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _make_page(page: int, blocks: Sequence[Mapping[str, Any]], *, detect_tables: bool) -> ParsedPage:
    from docjobs.engines.pdf import ParsedPage

    text = blocks_to_markdown(blocks, detect_tables=detect_tables)
    return ParsedPage(
        page=page, text=text, headings=[], needs_ocr=False, char_count=len(text), words=_words(blocks)
    )


def _words(blocks: Iterable[Mapping[str, Any]]) -> list[OcrWord]:
    """The page's WORD blocks: each box as fractions of the page (Textract's BoundingBox is
    already relative to the page) and the text, in the order Textract read them."""
    words: list[OcrWord] = []
    for block in blocks:
        if block.get("BlockType") != "WORD" or not str(block.get("Text") or "").strip():
            continue
        box = (block.get("Geometry") or {}).get("BoundingBox") or {}
        left, top = float(box.get("Left", 0.0)), float(box.get("Top", 0.0))
        right, bottom = left + float(box.get("Width", 0.0)), top + float(box.get("Height", 0.0))
        words.append((round(left, 5), round(top, 5), round(right, 5), round(bottom, 5), str(block["Text"])))
    return words


def _pages_from_blocks(
    blocks: Iterable[Mapping[str, Any]],
    *,
    detect_tables: bool,
    page_map: Mapping[int, int] | None,
) -> Iterator[ParsedPage]:
    """Group a stream of blocks by their ``Page`` and yield a ``ParsedPage`` per page.

    Textract returns blocks page after page, so a page is complete as soon as a block of a later
    page arrives; only one page of blocks is held at a time.
    """
    current: int | None = None
    pending: list[Mapping[str, Any]] = []
    finished: set[int] = set()

    def flush(page: int) -> ParsedPage:
        finished.add(page)
        if page_map is not None:
            if page not in page_map:
                raise OcrError(f"Textract returned page {page}, which is not in the page map")
            original = page_map[page]
        else:
            original = page
        return _make_page(original, pending, detect_tables=detect_tables)

    for block in blocks:
        page = int(block.get("Page") or 1)
        if page != current:
            if page in finished:
                logger.warning(
                    "Textract block %s for page %s arrived after the page was complete", block.get("Id"), page
                )
                continue
            if current is not None:
                yield flush(current)
            current, pending = page, []
        pending.append(block)
    if current is not None:
        yield flush(current)


# --------------------------------------------------------------------------- synchronous engine


class TextractEngine:
    """``OcrEngine`` on Textract's synchronous APIs, one call per page."""

    name = "textract"

    def __init__(self, client: Any | None = None) -> None:
        self._client = client

    @property
    def client(self) -> Any:
        if self._client is None:
            self._client = _client(None)
        return self._client

    def ocr_pages(
        self,
        pdf_bytes: bytes,
        pages: list[int],
        *,
        language: str = "eng",
        detect_tables: bool = False,
    ) -> list[ParsedPage]:
        """OCR ``pages`` (1-based) of a PDF, or an image (then ``pages`` names its one page).

        ``language`` is accepted for the protocol; Textract detects the language itself.
        """
        if _is_image(pdf_bytes):
            page_no = pages[0] if pages else 1
            return [self._ocr_one(pdf_bytes, page_no, detect_tables=detect_tables)]
        results: list[ParsedPage] = []
        for page in pages:
            one_page, _ = build_page_subset_pdf(pdf_bytes, [page])
            results.append(self._ocr_one(one_page, page, detect_tables=detect_tables))
        return results

    def _ocr_one(self, document: bytes, page: int, *, detect_tables: bool) -> ParsedPage:
        from textractcaller import call_textract

        if len(document) > SYNC_MAX_BYTES:
            raise OcrError(
                f"Page {page} is {len(document)} bytes; synchronous Textract accepts at most "
                f"{SYNC_MAX_BYTES} bytes (use the asynchronous OCR path)"
            )
        operation = "AnalyzeDocument" if detect_tables else "DetectDocumentText"
        response: dict[str, Any] = _call(
            operation,
            lambda: call_textract(
                input_document=document,
                features=_features(detect_tables),
                boto3_textract_client=self.client,
            ),
        )
        blocks = response.get("Blocks") or []
        # A one-page document: every block belongs to it, whatever Page says.
        return _make_page(page, blocks, detect_tables=detect_tables)


# --------------------------------------------------------------------------- asynchronous stages


def start_text_detection(
    bucket: str,
    key: str,
    *,
    detect_tables: bool,
    client_request_token: str,
    job_tag: str,
    client: Any | None = None,
) -> str:
    """Start an asynchronous Textract job on ``s3://bucket/key`` and return its JobId.

    ``client_request_token`` (e.g. the docjobs job id; cut to Textract's ``[A-Za-z0-9_-]{1,64}``)
    makes the call idempotent across state-machine retries. ``job_tag`` is stored with the job.
    """
    from textractcaller import call_textract

    textract = _client(client)
    operation = "StartDocumentAnalysis" if detect_tables else "StartDocumentTextDetection"
    response: dict[str, Any] = _call(
        operation,
        lambda: call_textract(
            input_document=f"s3://{bucket}/{key}",
            features=_features(detect_tables),
            client_request_token=_client_token(client_request_token),
            job_tag=_job_tag(job_tag),
            return_job_id=True,
            force_async_api=True,
            boto3_textract_client=textract,
        ),
    )
    job_id = str(response["JobId"])
    logger.info("Started Textract %s job %s on s3://%s/%s", operation, job_id, bucket, key)
    return job_id


def _get(textract: Any, job_id: str, *, detect_tables: bool, **kwargs: Any) -> dict[str, Any]:
    if detect_tables:
        return _call("GetDocumentAnalysis", lambda: textract.get_document_analysis(JobId=job_id, **kwargs))
    return _call(
        "GetDocumentTextDetection", lambda: textract.get_document_text_detection(JobId=job_id, **kwargs)
    )


def _failure_message(response: Mapping[str, Any]) -> str:
    message = response.get("StatusMessage") or "no status message"
    return f"Textract job {response.get('JobStatus')}: {message}"


def poll_text_detection(
    job_id: str,
    *,
    detect_tables: bool,
    raise_on_failure: bool = True,
    client: Any | None = None,
) -> TextractPoll:
    """One poll of a Textract job (a single ``MaxResults=1`` Get: cheap, small response).

    ``PARTIAL_SUCCESS`` counts as ``SUCCEEDED`` with Textract's warnings attached. A ``FAILED``
    job raises ``OcrError`` carrying Textract's ``StatusMessage`` unless ``raise_on_failure`` is
    false, when it is returned as ``status="FAILED"``.
    """
    response = _get(_client(client), job_id, detect_tables=detect_tables, MaxResults=1)
    raw_status = str(response.get("JobStatus", ""))
    warnings = [
        f"{w.get('ErrorCode')}: pages {w.get('Pages')}"
        for w in response.get("Warnings") or []
        if isinstance(w, dict)
    ]
    pages = (response.get("DocumentMetadata") or {}).get("Pages")
    status: PollStatus
    if raw_status == "IN_PROGRESS":
        status = "IN_PROGRESS"
    elif raw_status in {"SUCCEEDED", "PARTIAL_SUCCESS"}:
        status = "SUCCEEDED"
    else:
        status = "FAILED"
    message = response.get("StatusMessage")
    if status == "FAILED":
        message = _failure_message(response)
        if raise_on_failure:
            raise OcrError(message, details={"textract_job_id": job_id, "textract_status": raw_status})
    return TextractPoll(
        job_id=job_id,
        status=status,
        message=message,
        page_count=pages if isinstance(pages, int) else None,
        warnings=warnings,
    )


def _iter_blocks(textract: Any, job_id: str, *, detect_tables: bool) -> Iterator[Mapping[str, Any]]:
    next_token: str | None = None
    while True:
        kwargs: dict[str, Any] = {"MaxResults": GET_MAX_RESULTS}
        if next_token:
            kwargs["NextToken"] = next_token
        response = _get(textract, job_id, detect_tables=detect_tables, **kwargs)
        status = response.get("JobStatus")
        if status == "IN_PROGRESS":
            raise TransientError(f"Textract job {job_id} is still in progress")
        if status not in {"SUCCEEDED", "PARTIAL_SUCCESS"}:
            raise OcrError(_failure_message(response), details={"textract_job_id": job_id})
        yield from response.get("Blocks") or []
        next_token = response.get("NextToken")
        if not next_token:
            return


def collect_pages(
    job_id: str,
    *,
    detect_tables: bool,
    page_map: Mapping[int, int] | Mapping[str, int] | None = None,
    client: Any | None = None,
) -> Iterator[ParsedPage]:
    """Yield the OCR text of a finished Textract job, one ``ParsedPage`` per page, in page order.

    Pages through every Get response (``NextToken``) to the end. ``page_map`` maps the page
    numbers of the document Textract read (e.g. from :func:`build_page_subset_pdf`) back to the
    original document's; ``None`` keeps them. ``page_map`` keys are accepted as str (JSON state).
    """
    mapping = {int(k): int(v) for k, v in page_map.items()} if page_map is not None else None
    blocks = _iter_blocks(_client(client), job_id, detect_tables=detect_tables)
    yield from _pages_from_blocks(blocks, detect_tables=detect_tables, page_map=mapping)
