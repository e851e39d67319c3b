"""Sets of entry numbers as Python integers, one bit per entry, for C-speed set algebra."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

_NONZERO = re.compile(rb"[^\x00]")
_BITS = tuple(tuple(i for i in range(8) if value >> i & 1) for value in range(256))


def bitset(members: Iterable[int], size: int) -> int:
    """The integer whose bit `i` is set for each `i` in `members` (all below `size`)."""
    buffer = bytearray((size + 7) // 8)
    for i in members:
        buffer[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(buffer, "little")


def members(bits: int, size: int) -> list[int]:
    """The numbers whose bits are set, in order: the bytes are scanned in C, only the
    non-zero ones are read in Python."""
    data = bits.to_bytes((size + 7) // 8, "little")
    out: list[int] = []
    for match in _NONZERO.finditer(data):
        base = match.start() * 8
        out.extend(base + i for i in _BITS[data[match.start()]])
    return out


def count_planes(sets: Sequence[int]) -> list[int]:
    """Bit-sliced counters: plane `i` holds bit `i` of how many of `sets` each number is in
    (a ripple-carry adder run on whole sets at once)."""
    planes: list[int] = []
    for carry in sets:
        for i, plane in enumerate(planes):
            planes[i] = plane ^ carry
            carry &= plane
            if not carry:
                break
        else:
            if carry:
                planes.append(carry)
    return planes


def with_count(planes: Sequence[int], count: int, everyone: int) -> int:
    """The numbers in exactly `count` of the sets counted in `planes` (`everyone` is the set
    of all numbers, to complement a plane)."""
    if count >> len(planes):
        return 0
    result = everyone
    for i, plane in enumerate(planes):
        result &= plane if count >> i & 1 else everyone ^ plane
        if not result:
            break
    return result
