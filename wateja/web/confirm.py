"""One way to ask before an action that cannot be taken back: the first POST shows a page
that says what will happen, with the same fields and a "Yes" button; only a POST that carries
`confirmed=1` goes ahead. No JavaScript dialog: it works the same with a keyboard, a phone
and a screen reader."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def confirm_first(
    request: HttpRequest,
    *,
    question: Any,
    consequence: Any,
    yes: Any,
    cancel_url: str,
    danger: bool = True,
) -> HttpResponse | None:
    """The confirmation page for this POST, or None once it is confirmed."""
    if request.POST.get("confirmed") == "1":
        return None
    fields = [
        (name, value)
        for name, values in request.POST.lists()
        if name not in ("csrfmiddlewaretoken", "confirmed")
        for value in values
    ]
    return render(
        request,
        "web/shell/confirm.html",
        {
            "question": question,
            "consequence": consequence,
            "yes": yes,
            "cancel_url": cancel_url,
            "danger": danger,
            "fields": fields,
            "action": request.get_full_path(),
        },
    )
