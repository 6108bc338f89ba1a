"""Keywords customers can text: one box per command (balance, offers, card, yes, no) with the
business's own words, comma separated, beside the built-in ones. Shown as a section of the
messaging settings screen (loaded there with htmx) and as a page of its own without JavaScript.
A manager changes them; the change is validated and audited by wateja.messaging.keywords."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wateja.core.errors import DomainError
from wateja.core.sending import EXTENSIBLE
from wateja.messaging.keywords import (
    BUILT_IN,
    COMMAND_LABELS,
    MAX_WORDS,
    keywords_update,
    own_keywords,
)
from wateja.tenants.roles import Role
from wateja.web.errors import apply_to_form
from wateja.web.permissions import staff_required


class KeywordsForm(forms.Form):
    """One text box per command: the business's own words, comma separated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in EXTENSIBLE:
            self.fields[command] = forms.CharField(
                label=COMMAND_LABELS[command],
                required=False,
                max_length=400,
                help_text=gettext_lazy("Built in: %(words)s")
                % {"words": ", ".join(sorted(BUILT_IN[command]))},
                widget=forms.TextInput(
                    attrs={
                        "autocomplete": "off",
                        "autocapitalize": "characters",
                        "data-testid": f"keywords-{command}",
                    }
                ),
            )

    def commands(self) -> list[forms.BoundField]:
        return [self[command] for command in EXTENSIBLE]


def _initial(request: HttpRequest) -> dict[str, str]:
    stored = own_keywords(request.business)  # type: ignore[attr-defined]
    return {command: ", ".join(stored.get(command, [])) for command in EXTENSIBLE}


@staff_required(Role.MANAGER)
def keywords_page(request: HttpRequest) -> HttpResponse:
    """GET: the form (the section alone for htmx); POST: save, back to the messaging settings."""
    form = KeywordsForm(initial=_initial(request))
    if request.method == "POST":
        form = KeywordsForm(request.POST, initial=_initial(request))
        if form.is_valid():
            try:
                keywords_update(
                    business=request.business,  # type: ignore[attr-defined]
                    words={command: form.cleaned_data[command] for command in EXTENSIBLE},
                    actor=request.user,  # type: ignore[arg-type]
                )
            except DomainError as error:
                apply_to_form(form, error)
            else:
                if request.htmx:  # type: ignore[attr-defined]
                    form = KeywordsForm(initial=_initial(request))
                    return _render(request, form, saved=True)
                messages.success(request, _("Keywords saved."))
                return redirect("web:messaging_settings")
    return _render(request, form)


def _render(request: HttpRequest, form: KeywordsForm, *, saved: bool = False) -> HttpResponse:
    context = {"keywords_form": form, "keywords_saved": saved, "max_words": MAX_WORDS}
    if request.htmx:  # type: ignore[attr-defined]  # htmx swaps only a 2xx answer
        return render(request, "web/settings/_keywords.html", context)
    status = 400 if form.is_bound and form.errors else 200
    return render(request, "web/settings/keywords.html", context, status=status)
