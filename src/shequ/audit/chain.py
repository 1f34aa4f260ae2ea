"""The hash chain: a canonical form of an entry, its SHA-256, and the walk that checks every link."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext as _

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64

# The fields the hash covers, in the order verify_chain reads them. Changing this list breaks every old chain.
HASHED = (
    "sequence",
    "at",
    "actor_id",
    "actor_username",
    "ip",
    "user_agent",
    "channel",
    "action",
    "target_type",
    "target_id",
    "area_code",
    "fields",
    "purpose",
    "detail",
    "prev_hash",
)


def canonical(values: dict[str, Any]) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces; ``at`` as UTC ISO 8601 with microseconds."""
    data = {name: values[name] for name in HASHED}
    at: datetime = data["at"]
    data["at"] = at.astimezone(UTC).isoformat(timespec="microseconds")
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


def digest(values: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(values)).hexdigest()


class Problem:
    ALTERED = "altered"
    MISSING = "missing"
    REORDERED = "reordered"
    TRUNCATED = "truncated"


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    head_sequence: int
    head_hash: str
    problem: str = ""
    sequence: int | None = None
    message: str = ""


def _rows(chunk_size: int) -> Iterator[tuple]:
    """Every entry in sequence order, by keyset pages: constant memory, one indexed range scan per page."""
    last = -1
    while True:
        page = list(
            AuditEntry.objects.filter(sequence__gt=last).order_by("sequence").values_list(*HASHED, "hash")[:chunk_size]
        )
        if not page:
            return
        yield from page
        last = page[-1][0]


def verify_chain(*, chunk_size: int = 5000) -> Verdict:
    """Walk the chain from the first entry and stop at the first fault.

    Per entry, in this order: its sequence number follows the previous one (else an entry is missing), its
    ``prev_hash`` is the previous entry's hash (else entries were swapped or the previous one rewritten with a
    fresh hash), and its own hash matches its contents (else it was altered). At the end the head row must
    point at the last entry (else entries were cut off the end).
    """
    expected_seq, expected_prev, checked = 1, GENESIS, 0
    for row in _rows(chunk_size):
        values = dict(zip(HASHED, row[:-1], strict=True))
        stored, seq = row[-1], values["sequence"]
        if seq != expected_seq:
            return _fault(
                Problem.MISSING,
                expected_seq,
                checked,
                _("Entry %(n)s is missing: after entry %(prev)s the next entry is %(seq)s.")
                % {"n": expected_seq, "prev": expected_seq - 1, "seq": seq},
            )
        if values["prev_hash"] != expected_prev:
            return _fault(
                Problem.REORDERED,
                seq,
                checked,
                _(
                    "Entry %(n)s does not follow entry %(prev)s: its previous hash does not match. "
                    "Entries were reordered, or the one before was rewritten."
                )
                % {"n": seq, "prev": seq - 1},
            )
        if digest(values) != stored:
            return _fault(
                Problem.ALTERED,
                seq,
                checked,
                _("Entry %(n)s was altered: its contents do not match its hash.") % {"n": seq},
            )
        checked += 1
        expected_seq, expected_prev = seq + 1, stored

    head = AuditHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.sequence, head.hash) if head else (0, "")
    last_seq = expected_seq - 1
    if head_seq != last_seq or (last_seq and head_hash != expected_prev):
        return _fault(
            Problem.TRUNCATED,
            last_seq + 1,
            checked,
            _("The chain head records entry %(head)s, but the last entry found is %(last)s: entries are missing.")
            % {"head": head_seq, "last": last_seq},
        )
    return Verdict(
        ok=True,
        checked=checked,
        head_sequence=head_seq,
        head_hash=head_hash,
        message=_("The chain is intact: %(n)s entries checked.") % {"n": checked},
    )


def _fault(problem: str, sequence: int, checked: int, message: str) -> Verdict:
    head = AuditHead.objects.filter(pk=1).first()
    return Verdict(
        ok=False,
        checked=checked,
        head_sequence=head.sequence if head else 0,
        head_hash=head.hash if head else "",
        problem=problem,
        sequence=sequence,
        message=message,
    )
