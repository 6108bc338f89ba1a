"""Loyalty card numbers: digits with a Luhn check digit, so a mistyped number is caught at
the till before any lookup."""

from __future__ import annotations

import secrets

import numpy as np


def luhn_check_digit(payload: str) -> str:
    """The digit that makes `payload + digit` pass the Luhn check."""
    if not payload.isdigit():
        raise ValueError("card payload must be digits")
    total = 0
    for index, char in enumerate(reversed(payload)):
        digit = int(char)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def luhn_valid(number: str) -> bool:
    return len(number) >= 2 and number.isdigit() and luhn_check_digit(number[:-1]) == number[-1]


def normalize_card_number(text: str) -> str:
    """Digits only: cashiers type spaces and dashes, scanners may add a prefix letter."""
    return "".join(ch for ch in text if ch.isdigit())


def new_card_number(prefix: str = "8", length: int = 12) -> str:
    """A random card number of `length` digits starting with `prefix`, Luhn-valid."""
    if not prefix.isdigit() or len(prefix) >= length - 1:
        raise ValueError("prefix must be digits shorter than the number")
    digits = length - len(prefix) - 1
    body = prefix + str(secrets.randbelow(10**digits)).zfill(digits)
    return body + luhn_check_digit(body)


def new_card_numbers(count: int, prefix: str = "8", length: int = 12) -> list[str]:
    """`count` random card numbers as `new_card_number` makes them (same length, prefix and
    Luhn digit), drawn together from the system's random source and checked with array
    arithmetic: ~20 times faster per number for an import. They may repeat (as repeated calls
    of `new_card_number` may): the caller keeps them unique."""
    if not prefix.isdigit() or len(prefix) >= length - 1:
        raise ValueError("prefix must be digits shorter than the number")
    if count <= 0:
        return []
    if length > 19:  # beyond 64-bit arithmetic: one at a time
        return [new_card_number(prefix, length) for _ in range(count)]
    digits = length - len(prefix) - 1
    # 64 random bits per number reduced modulo 10**digits: the bias, about 10**digits / 2**64,
    # is below 10**-9 for the 10 random digits of a default card number
    raw = np.frombuffer(secrets.token_bytes(8 * count), dtype=np.uint64)
    body = raw % np.uint64(10**digits) + np.uint64(int(prefix) * 10**digits)
    total = np.zeros(count, dtype=np.int64)
    rest = body.copy()
    doubled = np.array([0, 2, 4, 6, 8, 1, 3, 5, 7, 9], dtype=np.int64)
    for position in range(length - 1):  # from the payload's last digit: doubled first
        digit = (rest % np.uint64(10)).astype(np.int64)
        total += doubled[digit] if position % 2 == 0 else digit
        rest //= np.uint64(10)
    check = (10 - total % 10) % 10
    width = length - 1
    return [f"{b:0{width}d}{c}" for b, c in zip(body.tolist(), check.tolist(), strict=True)]


def format_card_number(number: str) -> str:
    """Groups of four for printing: 8123 4567 8901."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
