"""Loyalty card numbers: digits with a Luhn check digit, so a mistyped number is caught at
the till before any lookup."""

from __future__ import annotations

import secrets


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


def format_card_number(number: str) -> str:
    """Groups of four for printing: 8123 4567 8901."""
    return " ".join(number[i : i + 4] for i in range(0, len(number), 4))
