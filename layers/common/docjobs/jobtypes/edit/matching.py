"""What a ``redact`` operation looks for, over plain strings.

The same :class:`RedactionMatcher` finds the matches to remove and, in the verification, searches
the written output again, so "removed" and "verified gone" can never disagree on what a match is.

Regular expressions (the client's and the presets') run on the ``regex`` package with a time
limit: one catastrophic pattern ends the job with a VALIDATION_ERROR naming it instead of hanging
the stage. Card numbers must pass the Luhn check, IBANs their ISO 7064 checksum and country
length, SSNs the SSA's assignment rules (python-stdnum); phone numbers are found by libphonenumber
(phonenumberslite), which knows every country's numbering plan.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import phonenumbers
import regex
from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.us import ssn as stdnum_ssn

from docjobs.core.errors import InputValidationError
from docjobs.jobtypes.edit.options import RedactOp, operation_path

#: Seconds of regular-expression time one pattern may use across the whole document (per pass).
PATTERN_BUDGET_SECONDS = 2.0

_EMAIL = regex.compile(
    r"(?<![\w.+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,24}(?![\w-])"
)
_CARD = regex.compile(r"(?<![\d-])\d(?:[ -]?\d){12,18}(?![\d])")
_IBAN = regex.compile(r"(?<![A-Za-z0-9])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){10,30}(?![A-Za-z0-9])")
_SSN = regex.compile(r"(?<![\d-])\d{3}([- ])\d{2}\1\d{4}(?![\d-])")

#: (text) -> [(start, end, entity type)]: an external PII detector such as Amazon Comprehend.
PiiDetector = Callable[[str], list[tuple[int, int, str]]]


@dataclass(frozen=True)
class Rule:
    """One thing a redaction looks for; ``path`` is the option that asked for it."""

    path: str
    kind: str  # text | pattern | pii
    label: str


@dataclass(frozen=True)
class Match:
    rule: Rule
    start: int
    end: int
    value: str


@dataclass
class _Budget:
    spent: dict[str, float] = field(default_factory=dict)

    def remaining(self, path: str) -> float:
        return PATTERN_BUDGET_SECONDS - self.spent.get(path, 0.0)

    def charge(self, path: str, seconds: float) -> None:
        self.spent[path] = self.spent.get(path, 0.0) + seconds


def _text_regex(needle: str, case_sensitive: bool) -> regex.Pattern[str]:
    """An exact string, but any run of whitespace matches any run (PDF text often has doubled or
    non-breaking spaces where the client typed one)."""
    words = needle.split()
    body = r"\s+".join(regex.escape(w) for w in words) if words else regex.escape(needle)
    return regex.compile(body, 0 if case_sensitive else regex.IGNORECASE | regex.V0)


class RedactionMatcher:
    """Finds the matches of one ``redact`` operation (option index ``index``) in strings."""

    def __init__(self, op: RedactOp, index: int, *, pii_detector: PiiDetector | None = None) -> None:
        self.op = op
        self.index = index
        self.pii_detector = pii_detector
        self._budget = _Budget()
        self._regexes: list[tuple[Rule, regex.Pattern[str]]] = []
        for i, needle in enumerate(op.text):
            rule = Rule(operation_path(index, f"text[{i}]"), "text", needle)
            self._regexes.append((rule, _text_regex(needle, op.case_sensitive)))
        for i, pattern in enumerate(op.patterns):
            rule = Rule(operation_path(index, f"patterns[{i}]"), "pattern", pattern)
            self._regexes.append((rule, regex.compile(pattern)))
        self._pii_rules = {name: Rule(operation_path(index, "pii"), "pii", name) for name in op.pii}
        self._engine_rule = Rule(operation_path(index, "pii_engine"), "pii", op.pii_engine or "")

    @property
    def rules(self) -> list[Rule]:
        rules = [rule for rule, _ in self._regexes] + list(self._pii_rules.values())
        if self.op.pii_engine:
            rules.append(self._engine_rule)
        return rules

    def find(self, text: str, *, where: str = "the document", use_engine: bool = True) -> list[Match]:
        """Every match in ``text``, sorted by position; overlapping matches are all kept (the
        caller merges boxes). ``where`` names the place in a timeout error."""
        if not text:
            return []
        found: list[Match] = []
        for rule, pattern in self._regexes:
            found.extend(self._run(rule, pattern, text, where))
        for name, rule in self._pii_rules.items():
            found.extend(self._pii(name, rule, text, where))
        if use_engine and self.op.pii_engine and self.pii_detector is not None and text.strip():
            for start, end, entity in self.pii_detector(text):
                if end > start:
                    found.append(
                        Match(Rule(self._engine_rule.path, "pii", entity), start, end, text[start:end])
                    )
        found.sort(key=lambda m: (m.start, m.end))
        return found

    def _finditer(
        self, rule: Rule, pattern: regex.Pattern[str], text: str, where: str
    ) -> list[regex.Match[str]]:
        remaining = self._budget.remaining(rule.path)
        began = time.monotonic()
        try:
            if remaining <= 0:
                raise TimeoutError
            return [m for m in pattern.finditer(text, timeout=remaining) if m.end() > m.start()]
        except TimeoutError:
            raise InputValidationError(
                f"{rule.path}: the regular expression ran out of its {PATTERN_BUDGET_SECONDS:g} s time "
                f"limit on {where} (catastrophic backtracking, e.g. nested repetition like '(a+)+'); "
                "simplify the pattern"
            ) from None
        finally:
            self._budget.charge(rule.path, time.monotonic() - began)

    def _run(self, rule: Rule, pattern: regex.Pattern[str], text: str, where: str) -> list[Match]:
        return [
            Match(rule, m.start(), m.end(), m.group()) for m in self._finditer(rule, pattern, text, where)
        ]

    def _pii(self, name: str, rule: Rule, text: str, where: str) -> list[Match]:
        if name == "email":
            return self._run(rule, _EMAIL, text, where)
        if name == "credit_card":
            return [
                Match(rule, m.start(), m.end(), m.group())
                for m in self._finditer(rule, _CARD, text, where)
                if _is_card_number(m.group())
            ]
        if name == "iban":
            found = []
            for m in self._finditer(rule, _IBAN, text, where):
                length = _valid_iban_prefix(m.group())
                if length:
                    found.append(Match(rule, m.start(), m.start() + length, m.group()[:length]))
            return found
        if name == "us_ssn":
            return [
                Match(rule, m.start(), m.end(), m.group())
                for m in self._finditer(rule, _SSN, text, where)
                if stdnum_ssn.is_valid(m.group().replace(" ", "-"))
            ]
        if name == "phone":
            return [
                Match(rule, pm.start, pm.end, pm.raw_string)
                for pm in phonenumbers.PhoneNumberMatcher(
                    text, self.op.phone_region, leniency=phonenumbers.Leniency.VALID
                )
            ]
        raise ValueError(f"unknown PII preset {name}")  # pragma: no cover - options restrict the names


def _is_card_number(candidate: str) -> bool:
    digits = "".join(ch for ch in candidate if ch.isdigit())
    separators = {ch for ch in candidate if not ch.isdigit()}
    return 13 <= len(digits) <= 19 and len(separators) <= 1 and luhn.is_valid(digits)


def _valid_iban_prefix(candidate: str) -> int:
    """Length of the longest prefix of ``candidate`` (ending at a group boundary) that is a valid
    IBAN, or 0. The pattern is greedy, so "DE89 3704 0044 0532 0130 00 BANK1" must be cut back."""
    ends = [i for i, ch in enumerate(candidate) if ch == " "] + [len(candidate)]
    for end in sorted(ends, reverse=True):
        piece = candidate[:end].rstrip()
        if len(piece) >= 15 and stdnum_iban.is_valid(piece):
            return len(piece)
    # written without spaces, the country's length decides
    compact = candidate.replace(" ", "")
    if " " not in candidate:
        for end in range(len(compact), 14, -1):
            if stdnum_iban.is_valid(compact[:end]):
                return end
    return 0


def merge_spans(matches: Sequence[Match]) -> list[tuple[int, int]]:
    """The character spans covered by ``matches``, overlaps joined."""
    spans: list[tuple[int, int]] = []
    for m in sorted(matches, key=lambda m: m.start):
        if spans and m.start <= spans[-1][1]:
            spans[-1] = (spans[-1][0], max(spans[-1][1], m.end))
        else:
            spans.append((m.start, m.end))
    return spans


def remove_spans(text: str, matches: Sequence[Match]) -> str:
    """``text`` with every match cut out (for metadata, form values and annotation contents)."""
    out, last = [], 0
    for start, end in merge_spans(matches):
        out.append(text[last:start])
        last = end
    out.append(text[last:])
    return "".join(out)


def mask(value: str) -> str:
    """A residual shown in an error without repeating the secret: 'jo…om (20 chars)'."""
    if len(value) <= 6:
        return f"{'*' * len(value)} ({len(value)} chars)"
    return f"{value[:2]}…{value[-2:]} ({len(value)} chars)"
