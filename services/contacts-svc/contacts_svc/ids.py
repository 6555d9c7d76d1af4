"""Time-ordered identifiers (the UUIDv7 layout) for rows written in bulk.

A random UUID lands anywhere in a B-tree index, so a million inserts touch a million random
pages; ids that grow with time are appended at the right edge of the index instead. The 74
random bits keep them unguessable and unique across replicas.
"""

from __future__ import annotations

import os
import time
import uuid


def ordered_id() -> uuid.UUID:
    """Return a UUIDv7: 48 bits of Unix milliseconds, version and variant, 74 random bits."""
    millis = time.time_ns() // 1_000_000
    rand = int.from_bytes(os.urandom(10), "big")
    rand_a = rand >> 68  # 12 bits
    rand_b = rand & ((1 << 62) - 1)  # 62 bits
    value = (millis & ((1 << 48) - 1)) << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)
