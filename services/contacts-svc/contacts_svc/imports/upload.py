"""Receive an upload: streamed to disk in constant memory, its encoding and size checked."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import anyio

from contacts_svc.imports.layout import EncodingProbe
from isoloir import problems

HEADER_LIMIT = 64 * 1024


@dataclass(frozen=True)
class Received:
    path: Path
    size: int
    sha256: str
    encoding: str
    header_line: str


async def receive(stream: AsyncIterator[bytes], *, path: Path, limit: int) -> Received:
    """Write the body to `path` chunk by chunk; refuse it past `limit` bytes or when empty."""
    digest = hashlib.sha256()
    probe = EncodingProbe()
    size = 0
    head = b""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        async with await anyio.open_file(path, "wb") as out:
            async for chunk in stream:
                if not chunk:
                    continue
                size += len(chunk)
                if size > limit:
                    raise problems.PayloadTooLarge(
                        f"the file exceeds the import limit of {limit} bytes"
                    )
                digest.update(chunk)
                probe.feed(chunk)
                if len(head) < HEADER_LIMIT:
                    head += chunk[: HEADER_LIMIT - len(head)]
                await out.write(chunk)
        probe.feed(b"", final=True)
        if size == 0:
            raise problems.field_error("body", "the file is empty")
    except BaseException:
        await anyio.Path(path).unlink(missing_ok=True)
        raise
    first = head.split(b"\n", 1)[0].rstrip(b"\r")
    encoding = probe.encoding
    header_line = first.decode(encoding, errors="replace")
    return Received(
        path=path, size=size, sha256=digest.hexdigest(), encoding=encoding, header_line=header_line
    )
