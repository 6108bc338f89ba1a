"""Forms of the feedback screens."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wateja.messaging.models import MAX_QUESTIONS, FeedbackAlert, FeedbackScale, QuestionKind


class FeedbackSettingsForm(forms.Form):
    feedback_scale = forms.ChoiceField(label=_("Customers rate on"), choices=FeedbackScale.choices)
    feedback_low_at = forms.IntegerField(
        label=_("A rating at or below this opens a complaint"),
        min_value=0,
        max_value=10,
        help_text=_("Stars: 1 to 5; NPS: 0 to 10 (6 or below are detractors)."),
    )
    feedback_owner_id = forms.ChoiceField(label=_("Complaint owner"), required=False)
    feedback_due_hours = forms.IntegerField(
        label=_("Call the customer back within (hours)"), min_value=0, max_value=720
    )
    feedback_alert = forms.ChoiceField(
        label=_("Alert the manager by"), choices=FeedbackAlert.choices
    )
    feedback_alert_to = forms.CharField(
        label=_("Send the alert to"),
        required=False,
        max_length=254,
        help_text=_(
            "A phone number for SMS or an e-mail address. Empty: the location's phone, or "
            "the complaint owner's e-mail."
        ),
    )

    def __init__(self, *args: Any, owners: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["feedback_owner_id"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _("The manager of the location of the sale")), *owners]


class SurveyForm(forms.Form):
    """A title and up to MAX_QUESTIONS question slots (an empty slot is left out)."""

    title = forms.CharField(label=_("Title"), max_length=150)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = [("", "—"), *QuestionKind.choices]
        for n in range(MAX_QUESTIONS):
            self.fields[f"q{n}_kind"] = forms.ChoiceField(
                label=_("Question %(n)s: kind") % {"n": n + 1}, choices=kinds, required=False
            )
            self.fields[f"q{n}_text"] = forms.CharField(
                label=_("Question %(n)s") % {"n": n + 1}, max_length=200, required=False
            )
            self.fields[f"q{n}_choices"] = forms.CharField(
                label=_("Answers to choose from (one per line)"),
                widget=forms.Textarea(attrs={"rows": 3}),
                required=False,
            )
            self.fields[f"q{n}_multiple"] = forms.BooleanField(
                label=_("Several answers allowed"), required=False
            )
            self.fields[f"q{n}_interests"] = forms.BooleanField(
                label=_("The answers are interests (kept on the customer, for segments)"),
                required=False,
            )

    def slots(self) -> list[list[forms.BoundField]]:
        names = ("kind", "text", "choices", "multiple", "interests")
        return [[self[f"q{n}_{name}"] for name in names] for n in range(MAX_QUESTIONS)]

    def questions(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        found = []
        for n in range(MAX_QUESTIONS):
            kind, text = data.get(f"q{n}_kind"), (data.get(f"q{n}_text") or "").strip()
            if not kind and not text:
                continue
            found.append(
                {
                    "kind": kind,
                    "text": text,
                    "choices": (data.get(f"q{n}_choices") or "").splitlines(),
                    "multiple": bool(data.get(f"q{n}_multiple")),
                    "interests": bool(data.get(f"q{n}_interests")),
                }
            )
        return found


class SurveySendForm(forms.Form):
    name = forms.CharField(label=_("Campaign name"), max_length=150)
    segment_id = forms.ChoiceField(label=_("Send to"), required=False)
    sms_template_id = forms.ChoiceField(label=_("SMS template (with {link})"))

    def __init__(
        self,
        *args: Any,
        segments: list[tuple[str, str]],
        templates: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        segment = self.fields["segment_id"]
        template = self.fields["sms_template_id"]
        assert isinstance(segment, forms.ChoiceField) and isinstance(template, forms.ChoiceField)
        segment.choices = [("", _("Every active customer")), *segments]
        template.choices = templates
