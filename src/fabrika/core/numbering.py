"""Gapless document numbers per document type and year: `ORD-2026-00017`.

Apps declare their document types with `register()`; an administrator may change the prefix
and the number of digits (NumberFormat). `next_number()` must run inside the transaction that
creates the document: it locks the (type, year) row, so concurrent creators wait for each other
and a rolled-back document leaves no gap.
"""

from dataclasses import dataclass
from datetime import date

from django.db import connection, transaction
from django.utils import timezone

from .errors import DomainError
from .models import NumberFormat, NumberSequence


@dataclass(frozen=True)
class DocumentType:
    code: str
    prefix: str
    label: str
    padding: int = 5


REGISTRY: dict[str, DocumentType] = {}


def register(code: str, *, prefix: str, label: str, padding: int = 5) -> DocumentType:
    doc_type = DocumentType(code=code, prefix=prefix, label=label, padding=padding)
    REGISTRY[code] = doc_type
    return doc_type


class UnknownDocumentType(DomainError):
    def __init__(self, doc_type: str):
        self.doc_type = doc_type
        super().__init__(f"Unknown document type {doc_type!r}")


def format_for(doc_type: str) -> tuple[str, int]:
    fmt = NumberFormat.objects.filter(doc_type=doc_type).first()
    if fmt is not None:
        return fmt.prefix, fmt.padding
    if doc_type not in REGISTRY:
        raise UnknownDocumentType(doc_type)
    known = REGISTRY[doc_type]
    return known.prefix, known.padding


def next_number(doc_type: str, *, on_date: date | None = None) -> str:
    """Take the next number of `doc_type` for the year of `on_date` (today by default)."""
    return next_numbers(doc_type, 1, on_date=on_date)[0]


def next_numbers(doc_type: str, n: int, *, on_date: date | None = None) -> list[str]:
    """Take `n` consecutive numbers of `doc_type` at once (one row lock and one update for the
    block: releasing a tree of production orders numbers all of them together)."""
    if not connection.in_atomic_block:
        raise RuntimeError("next_number() must run inside the transaction that creates the document")
    if n <= 0:
        return []
    prefix, padding = format_for(doc_type)
    year = (on_date or timezone.localdate()).year
    # Create the row if it is missing without racing: a concurrent creator's insert is ignored.
    NumberSequence.objects.bulk_create(
        [NumberSequence(doc_type=doc_type, year=year, last_number=0)], ignore_conflicts=True
    )
    with transaction.atomic():
        seq = NumberSequence.objects.select_for_update().get(doc_type=doc_type, year=year)
        first = seq.last_number + 1
        seq.last_number += n
        seq.save(update_fields=["last_number"])
    return [f"{prefix}-{year}-{k:0{padding}d}" for k in range(first, first + n)]
