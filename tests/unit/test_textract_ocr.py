"""Textract OCR engine: real boto3 + amazon-textract-caller against moto (and botocore Stubber)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pymupdf
import pytest
from botocore.stub import ANY, Stubber
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.textract.models import TextractBackend, textract_backends
from moto.textract.responses import TextractResponse

from docjobs.core.errors import OcrError, TransientError
from docjobs.engines.pdf import table_to_markdown
from docjobs.engines.textract_ocr import (
    TextractEngine,
    blocks_to_markdown,
    build_page_subset_pdf,
    collect_pages,
    poll_text_detection,
    start_text_detection,
    table_rows,
)

REGION = "us-east-1"
BUCKET = "docjobs-test-documents"


# --------------------------------------------------------------------------- fixtures / builders


def _line(block_id: str, text: str, page: int = 1, words: list[str] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"BlockType": "LINE", "Id": block_id, "Text": text, "Page": page}
    if words:
        block["Relationships"] = [{"Type": "CHILD", "Ids": words}]
    return block


def _word(block_id: str, text: str, page: int = 1) -> dict[str, Any]:
    return {"BlockType": "WORD", "Id": block_id, "Text": text, "Page": page}


def _page(block_id: str, page: int) -> dict[str, Any]:
    return {"BlockType": "PAGE", "Id": block_id, "Page": page}


def _cell(block_id: str, row: int, col: int, words: list[str], **extra: Any) -> dict[str, Any]:
    return {
        "BlockType": "CELL",
        "Id": block_id,
        "RowIndex": row,
        "ColumnIndex": col,
        "Relationships": [{"Type": "CHILD", "Ids": words}] if words else [],
        **extra,
    }


def table_blocks() -> list[dict[str, Any]]:
    """One page: a heading line, a 3x2 table (with a '|' to escape and an empty cell), a footer."""
    words = [
        _word("w-name", "Name"),
        _word("w-qty", "Qty"),
        _word("w-apple", "Apple"),
        _word("w-3", "3"),
        _word("w-pear", "Pear|Nashi"),
    ]
    cells = [
        _cell("c11", 1, 1, ["w-name"]),
        _cell("c12", 1, 2, ["w-qty"]),
        _cell("c21", 2, 1, ["w-apple"]),
        _cell("c22", 2, 2, ["w-3"]),
        _cell("c31", 3, 1, ["w-pear"]),
        _cell("c32", 3, 2, []),
    ]
    table = {
        "BlockType": "TABLE",
        "Id": "t1",
        "Relationships": [{"Type": "CHILD", "Ids": [c["Id"] for c in cells]}],
    }
    lines = [
        _line("l-title", "Fruit inventory"),
        _line("l-h", "Name Qty", words=["w-name", "w-qty"]),
        _line("l-r1", "Apple 3", words=["w-apple", "w-3"]),
        _line("l-r2", "Pear|Nashi", words=["w-pear"]),
        _line("l-foot", "Counted on Monday"),
    ]
    return [_page("p1", 1), *lines, table, *cells, *words]


def make_pdf(n_pages: int) -> bytes:
    with pymupdf.open() as doc:
        for i in range(n_pages):
            page = doc.new_page()
            page.insert_text((72, 72), f"Page marker {i + 1}")
        return bytes(doc.tobytes())


PNG_1PX = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield


@pytest.fixture
def textract(aws: None) -> Any:
    return boto3.client("textract", region_name=REGION)


def _backend() -> TextractBackend:
    return textract_backends[DEFAULT_ACCOUNT_ID][REGION]


# --------------------------------------------------------------------------- blocks → markdown


def test_table_to_markdown_places_cells_and_escapes_pipes() -> None:
    blocks = table_blocks()
    by_id = {b["Id"]: b for b in blocks}
    assert table_to_markdown(table_rows(by_id["t1"], by_id)) == (
        "| Name | Qty |\n|---|---|\n| Apple | 3 |\n| Pear\\|Nashi |  |"
    )


def test_table_to_markdown_spanning_cell_and_selection_element() -> None:
    blocks: list[dict[str, Any]] = [
        {"BlockType": "TABLE", "Id": "t", "Relationships": [{"Type": "CHILD", "Ids": ["a", "b", "c"]}]},
        _cell("a", 1, 1, ["w1"], ColumnSpan=2),
        _cell("b", 2, 1, ["w2"]),
        _cell("c", 2, 2, ["s1"]),
        _word("w1", "Total"),
        _word("w2", "Paid"),
        {"BlockType": "SELECTION_ELEMENT", "Id": "s1", "SelectionStatus": "SELECTED"},
    ]
    by_id = {b["Id"]: b for b in blocks}
    assert table_to_markdown(table_rows(by_id["t"], by_id)) == "| Total |  |\n|---|---|\n| Paid | [x] |"


def test_blocks_to_markdown_replaces_table_lines_with_the_table_in_place() -> None:
    text = blocks_to_markdown(table_blocks(), detect_tables=True)
    assert text == (
        "Fruit inventory\n\n"
        "| Name | Qty |\n|---|---|\n| Apple | 3 |\n| Pear\\|Nashi |  |\n\n"
        "Counted on Monday"
    )


def test_blocks_to_markdown_without_tables_keeps_lines_in_reading_order() -> None:
    text = blocks_to_markdown(table_blocks(), detect_tables=False)
    lines = ["Fruit inventory", "Name Qty", "Apple 3", "Pear\\|Nashi", "Counted on Monday"]
    assert text.splitlines() == lines  # body text is escaped: a "|" never starts a table row


def test_build_page_subset_pdf_keeps_only_requested_pages_and_maps_them_back() -> None:
    data, page_map = build_page_subset_pdf(make_pdf(5), [2, 5])
    assert page_map == {1: 2, 2: 5}
    with pymupdf.open(stream=data, filetype="pdf") as doc:
        assert doc.page_count == 2
        assert "Page marker 5" in doc[1].get_text()
    with pytest.raises(OcrError, match="outside the document"):
        build_page_subset_pdf(make_pdf(2), [3])


# --------------------------------------------------------------------------- synchronous path


def test_sync_single_image_with_moto(textract: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        TextractBackend, "BLOCKS", [_page("p", 1), _line("l1", "Hello scanned"), _line("l2", "world")]
    )
    pages = TextractEngine(client=textract).ocr_pages(PNG_1PX, [1])
    assert len(pages) == 1
    assert pages[0].page == 1
    assert pages[0].text == "Hello scanned\nworld"
    assert pages[0].char_count == len("Hello scanned\nworld")
    assert pages[0].needs_ocr is False


def test_sync_multi_page_pdf_sends_one_single_page_pdf_per_page(textract: Any) -> None:
    sent: list[bytes] = []
    stubber = Stubber(textract)
    for page in (2, 3):
        stubber.add_response(
            "detect_document_text",
            {"Blocks": [_line(f"l{page}", f"text of page {page}")], "DocumentMetadata": {"Pages": 1}},
            {"Document": {"Bytes": ANY}},
        )

    def capture(params: dict[str, Any], **_: Any) -> None:
        sent.append(bytes(params["Document"]["Bytes"]))

    textract.meta.events.register("provide-client-params.textract.DetectDocumentText", capture)
    with stubber:
        pages = TextractEngine(client=textract).ocr_pages(make_pdf(3), [2, 3])
    assert [(p.page, p.text) for p in pages] == [(2, "text of page 2"), (3, "text of page 3")]
    for page_no, data in zip((2, 3), sent, strict=True):
        with pymupdf.open(stream=data, filetype="pdf") as doc:
            assert doc.page_count == 1
            assert f"Page marker {page_no}" in doc[0].get_text()


def test_sync_tables_uses_analyze_document_and_renders_markdown(textract: Any) -> None:
    stubber = Stubber(textract)
    stubber.add_response(
        "analyze_document",
        {"Blocks": table_blocks(), "DocumentMetadata": {"Pages": 1}},
        {"Document": {"Bytes": ANY}, "FeatureTypes": ["TABLES"]},
    )
    with stubber:
        pages = TextractEngine(client=textract).ocr_pages(PNG_1PX, [1], detect_tables=True)
    stubber.assert_no_pending_responses()
    assert "| Name | Qty |" in pages[0].text


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "ProvisionedThroughputExceededException", "LimitExceededException"]
)
def test_sync_throttling_is_transient(textract: Any, code: str) -> None:
    stubber = Stubber(textract)
    stubber.add_client_error("detect_document_text", service_error_code=code, service_message="Slow down")
    with stubber, pytest.raises(TransientError, match="Slow down"):
        TextractEngine(client=textract).ocr_pages(PNG_1PX, [1])


def test_sync_internal_server_error_is_transient(textract: Any) -> None:
    stubber = Stubber(textract)
    stubber.add_client_error(
        "detect_document_text",
        service_error_code="InternalServerError",
        service_message="oops",
        http_status_code=500,
    )
    with stubber, pytest.raises(TransientError):
        TextractEngine(client=textract).ocr_pages(PNG_1PX, [1])


@pytest.mark.parametrize(
    "code", ["UnsupportedDocumentException", "BadDocumentException", "DocumentTooLargeException"]
)
def test_sync_document_errors_are_ocr_errors_with_textract_message(textract: Any, code: str) -> None:
    stubber = Stubber(textract)
    stubber.add_client_error(
        "detect_document_text",
        service_error_code=code,
        service_message="Request has unsupported document format",
    )
    with stubber, pytest.raises(OcrError, match="Request has unsupported document format") as info:
        TextractEngine(client=textract).ocr_pages(PNG_1PX, [1])
    assert info.value.details is not None
    assert info.value.details["textract_error_code"] == code


# --------------------------------------------------------------------------- asynchronous path


def _started_job(
    textract: Any, monkeypatch: pytest.MonkeyPatch, blocks: list[dict[str, Any]], *, pages: int
) -> str:
    """A text detection started on a ``pages``-page PDF; moto answers it with ``blocks``."""
    monkeypatch.setattr(TextractBackend, "BLOCKS", blocks)
    monkeypatch.setattr(TextractBackend, "PAGES", pages)
    boto3.client("s3", region_name=REGION).put_object(
        Bucket=BUCKET, Key="work/t/j/ocr.pdf", Body=make_pdf(pages)
    )
    return start_text_detection(
        BUCKET,
        "work/t/j/ocr.pdf",
        detect_tables=False,
        client_request_token="job:01J/x",
        job_tag="t1",
        client=textract,
    )


def test_async_start_poll_collect_with_moto(textract: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = [
        _page("p1", 1),
        _line("a", "first page line one", 1),
        _line("b", "first page line two", 1),
        _page("p2", 2),
        _line("c", "second page", 2),
    ]
    job_id = _started_job(textract, monkeypatch, blocks, pages=2)
    assert job_id in _backend().async_text_detection_jobs

    poll = poll_text_detection(job_id, detect_tables=False, client=textract)
    assert poll.status == "SUCCEEDED"
    assert poll.done

    pages = list(collect_pages(job_id, detect_tables=False, page_map={1: 4, 2: 9}, client=textract))
    assert [(p.page, p.text) for p in pages] == [
        (4, "first page line one\nfirst page line two"),
        (9, "second page"),
    ]


def test_async_start_sends_token_tag_and_s3_location(textract: Any) -> None:
    stubber = Stubber(textract)
    stubber.add_response(
        "start_document_analysis",
        {"JobId": "job-123", "ResponseMetadata": {"HTTPStatusCode": 200}},
        {
            "DocumentLocation": {"S3Object": {"Bucket": BUCKET, "Name": "work/t/j/ocr.pdf"}},
            "FeatureTypes": ["TABLES"],
            "ClientRequestToken": "01J-tenant-job",
            "JobTag": "tenant:job",
        },
    )
    with stubber:
        job_id = start_text_detection(
            BUCKET,
            "work/t/j/ocr.pdf",
            detect_tables=True,
            client_request_token="01J/tenant job",
            job_tag="tenant:job",
            client=textract,
        )
    assert job_id == "job-123"


def test_async_collect_pages_follows_next_token_to_the_end(
    textract: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """moto does not paginate Get*: seed three result pages served through NextToken."""
    result_pages = [
        {"Blocks": [_page("p1", 1), _line("a", "one-a", 1)], "NextToken": "tok-1"},
        # page 1 continues in the second response, then page 2 starts
        {"Blocks": [_line("b", "one-b", 1), _page("p2", 2), _line("c", "two-a", 2)], "NextToken": "tok-2"},
        {"Blocks": [_line("d", "two-b", 2), _page("p3", 3)]},
    ]
    requests: list[dict[str, Any]] = []

    def paged(self: TextractResponse) -> str:
        params = json.loads(self.body)
        requests.append(params)
        index = {None: 0, "tok-1": 1, "tok-2": 2}[params.get("NextToken")]
        body = {"JobStatus": "SUCCEEDED", "DocumentMetadata": {"Pages": 3}, **result_pages[index]}
        return json.dumps(body)

    monkeypatch.setattr(TextractResponse, "get_document_text_detection", paged)
    job_id = start_text_detection(
        BUCKET, "doc.pdf", detect_tables=False, client_request_token="tok", job_tag="", client=textract
    )
    pages = list(collect_pages(job_id, detect_tables=False, page_map=None, client=textract))
    assert [(p.page, p.text) for p in pages] == [(1, "one-a\none-b"), (2, "two-a\ntwo-b"), (3, "")]
    assert [r.get("NextToken") for r in requests] == [None, "tok-1", "tok-2"]
    assert all(r["MaxResults"] == 1000 for r in requests)


def test_async_failed_job_raises_ocr_error_with_textract_message(
    textract: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(TextractBackend, "JOB_STATUS", "FAILED")
    job_id = start_text_detection(
        BUCKET, "bad.pdf", detect_tables=False, client_request_token="tok", job_tag="", client=textract
    )
    _backend().async_text_detection_jobs[job_id].job["StatusMessage"] = "The document is password protected"

    with pytest.raises(OcrError, match="The document is password protected"):
        poll_text_detection(job_id, detect_tables=False, client=textract)
    poll = poll_text_detection(job_id, detect_tables=False, raise_on_failure=False, client=textract)
    assert poll.status == "FAILED"
    assert poll.message is not None and "password protected" in poll.message
    with pytest.raises(OcrError, match="password protected"):
        list(collect_pages(job_id, detect_tables=False, client=textract))


def test_async_in_progress_poll(textract: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(TextractBackend, "JOB_STATUS", "IN_PROGRESS")
    job_id = start_text_detection(
        BUCKET, "slow.pdf", detect_tables=False, client_request_token="tok", job_tag="", client=textract
    )
    poll = poll_text_detection(job_id, detect_tables=False, client=textract)
    assert poll.status == "IN_PROGRESS"
    assert not poll.done
    with pytest.raises(TransientError):
        list(collect_pages(job_id, detect_tables=False, client=textract))


def test_async_start_throttled_is_transient(textract: Any) -> None:
    stubber = Stubber(textract)
    stubber.add_client_error(
        "start_document_text_detection",
        service_error_code="ProvisionedThroughputExceededException",
        service_message="Provisioned rate exceeded",
    )
    with stubber, pytest.raises(TransientError, match="Provisioned rate exceeded"):
        start_text_detection(
            BUCKET, "x.pdf", detect_tables=False, client_request_token="t", job_tag="", client=textract
        )


def test_async_tables_collect_uses_get_document_analysis(textract: Any) -> None:
    stubber = Stubber(textract)
    stubber.add_response(
        "get_document_analysis",
        {"JobStatus": "SUCCEEDED", "Blocks": table_blocks()},
        {"JobId": "job-1", "MaxResults": 1000},
    )
    with stubber:
        pages = list(collect_pages("job-1", detect_tables=True, page_map={"1": 7}, client=textract))
    assert pages[0].page == 7
    assert "| Apple | 3 |" in pages[0].text


def test_collected_pages_keep_each_word_with_its_box_as_fractions_of_the_page(
    textract: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """extract cites OCR'd pages from these words instead of OCRing the page again."""
    box = {"Left": 0.1, "Top": 0.2, "Width": 0.3, "Height": 0.05}
    blocks = [
        _page("p1", 1),
        _line("a", "Total 12.50", 1),
        {**_word("w1", "Total"), "Geometry": {"BoundingBox": box}},
        {**_word("w2", "12.50"), "Geometry": {"BoundingBox": {**box, "Left": 0.5}}},
        {**_word("w3", "  "), "Geometry": {"BoundingBox": box}},
    ]
    job_id = _started_job(textract, monkeypatch, blocks, pages=1)
    (page,) = collect_pages(job_id, detect_tables=False, page_map={1: 3}, client=textract)
    assert page.page == 3
    assert page.words == [(0.1, 0.2, 0.4, 0.25, "Total"), (0.5, 0.2, 0.8, 0.25, "12.50")]
