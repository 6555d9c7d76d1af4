"""Read an uploaded CSV in chunks: each row validated, duplicates within a chunk folded.

Runs in a worker thread (pure CPU) while the previous chunk is written to the database, and
holds one chunk at a time whatever the size of the file.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from contacts_svc import fields, ids
from contacts_svc.imports.layout import Layout, read_header
from contacts_svc.rules import ContactKind, FieldProblem, Origin, Provenance, check_kind_and_origin

ErrorRow = tuple[int, str, str, str | None, str | None]


@dataclass
class Chunk:
    rows: dict[uuid.UUID, tuple[int, fields.ContactValues]] = field(default_factory=dict)
    errors: list[ErrorRow] = field(default_factory=list)
    rows_read: int = 0
    duplicates: int = 0
    position: int = 0


@dataclass(frozen=True)
class RowRules:
    """What every row of an import is checked against besides its own values."""

    kind: ContactKind
    origin: Origin
    provenance: Provenance
    secret: str
    current_year: int


def _fold(into: fields.ContactValues, other: fields.ContactValues) -> None:
    # A later row of the same person fills what the earlier one left blank.
    for name in (*fields.FIELDS, *fields.HASHES):
        mine, theirs = getattr(into, name), getattr(other, name)
        if isinstance(mine, list) and isinstance(theirs, list):
            setattr(into, name, sorted(set(mine) | set(theirs)))
        elif mine is None and theirs is not None:
            setattr(into, name, theirs)


class Reader:
    """Iterates over the chunks of one uploaded file."""

    def __init__(self, path: Path, *, layout: Layout, rules: RowRules, chunk_rows: int) -> None:
        self.layout = layout
        self.rules = rules
        self.chunk_rows = chunk_rows
        self._raw: BinaryIO = path.open("rb")
        text = io.TextIOWrapper(self._raw, encoding=layout.encoding, errors="replace", newline="")
        header_line = text.readline()
        self._width = len(read_header(header_line, layout.delimiter))
        self._rows: Iterator[list[str]] = csv.reader(text, delimiter=layout.delimiter)
        self._row_no = 1  # the header is row 1: row numbers match a spreadsheet's

    def close(self) -> None:
        self._raw.close()

    def next_chunk(self) -> Chunk | None:
        """Return the next chunk, or None at the end of the file."""
        chunk = Chunk()
        seen: dict[str, uuid.UUID] = {}
        try:
            for row in self._rows:
                self._row_no += 1
                if not any(cell.strip() for cell in row):
                    continue
                chunk.rows_read += 1
                self._read_row(row, chunk, seen)
                if chunk.rows_read >= self.chunk_rows:
                    break
        except csv.Error as exc:
            chunk.errors.append((self._row_no, "row", f"unreadable CSV: {exc}", None, None))
            self._rows = iter(())
        chunk.position = self._raw.tell()
        return chunk if chunk.rows_read or chunk.errors else None

    def _read_row(self, row: list[str], chunk: Chunk, seen: dict[str, uuid.UUID]) -> None:
        row_no = self._row_no
        if len(row) > self._width:
            reason = f"has {len(row)} cells where the header has {self._width}"
            chunk.errors.append((row_no, "row", reason, None, None))
            return
        raw: dict[str, Any] = {}
        for cell, target in zip(row, self.layout.columns, strict=False):
            if target is not None and cell.strip():
                raw[target] = cell
        rules = self.rules
        values, problems = fields.read_values(
            raw, secret=rules.secret, current_year=rules.current_year
        )
        problems += check_kind_and_origin(
            kind=rules.kind, origin=rules.origin, provenance=rules.provenance, present=set(raw)
        )
        keys = [k for k in (values.email_hash, values.phone_hash, values.person_hash) if k]
        if not keys and not problems:
            problems.append(
                FieldProblem(
                    "row",
                    "needs an email, a phone, or a first and last name with a birth year "
                    "or an address",
                )
            )
        if problems:
            for problem in problems:
                chunk.errors.append(
                    (row_no, problem.field, problem.reason, values.email_hash, values.phone_hash)
                )
            return
        earlier = next((seen[k] for k in keys if k in seen), None)
        if earlier is not None:
            _fold(chunk.rows[earlier][1], values)
            chunk.duplicates += 1
            kept = chunk.rows[earlier][1]
            for key in (kept.email_hash, kept.phone_hash, kept.person_hash):
                if key:
                    seen.setdefault(key, earlier)
            return
        new_id = ids.ordered_id()
        chunk.rows[new_id] = (row_no, values)
        for key in keys:
            seen[key] = new_id
