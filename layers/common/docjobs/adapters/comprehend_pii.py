"""Amazon Comprehend DetectPiiEntities on page text: the ``pii_engine: comprehend`` of an edit
job's ``redact`` operation.

DetectPiiEntities takes at most 100 KB of UTF-8 per call; longer text is sent in pieces cut at line
ends and the offsets are moved back into the whole text. Throttling and service errors raise
:class:`TransientError` (the state machine retries the stage); anything else is a bug of ours.
"""

from __future__ import annotations

from collections.abc import Iterator

from docjobs.adapters import aws_clients
from docjobs.core.errors import DocjobsError, TransientError

#: DetectPiiEntities' limit is 100 KB of UTF-8; leave room.
MAX_BYTES = 95_000
#: Entities Comprehend is less sure of than this are not redacted.
MIN_SCORE = 0.5
_RETRYABLE = {
    "ThrottlingException",
    "TooManyRequestsException",
    "InternalServerException",
    "ServiceUnavailableException",
}


def _pieces(text: str) -> Iterator[tuple[int, str]]:
    """(offset, piece) with every piece at most MAX_BYTES of UTF-8, cut after a newline where
    there is one."""
    start = 0
    while start < len(text):
        end = start
        size = 0
        cut = -1
        while end < len(text):
            size += len(text[end].encode())
            if size > MAX_BYTES:
                break
            if text[end] == "\n":
                cut = end + 1
            end += 1
        if end < len(text) and cut > start:
            end = cut
        yield start, text[start:end]
        start = end


def detect_pii(text: str, language: str = "en") -> list[tuple[int, int, str]]:
    """``(start, end, entity type)`` of each PII entity Comprehend finds in ``text``."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = aws_clients.comprehend()
    found: list[tuple[int, int, str]] = []
    for offset, piece in _pieces(text):
        if not piece.strip():
            continue
        try:
            response = client.detect_pii_entities(Text=piece, LanguageCode=language)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code in _RETRYABLE:
                raise TransientError(f"Comprehend DetectPiiEntities: {code}") from exc
            raise DocjobsError(f"Comprehend DetectPiiEntities failed: {exc}") from exc
        except BotoCoreError as exc:
            raise TransientError(f"Comprehend DetectPiiEntities: {exc}") from exc
        for entity in response.get("Entities", []):
            begin, end = int(entity.get("BeginOffset", 0)), int(entity.get("EndOffset", 0))
            if entity.get("Score", 0.0) < MIN_SCORE or not 0 <= begin < end <= len(piece):
                continue  # below the threshold, or an offset outside what was sent
            found.append((offset + begin, offset + end, str(entity.get("Type", "PII"))))
    return found
