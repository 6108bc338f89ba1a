"""Forms of the challenge screens: parse the input; the services decide."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from wateja.challenges.models import Metric


class ChallengeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    metric = forms.ChoiceField(label=_("Who wins"), choices=Metric.choices)
    first_day = forms.DateField(
        label=_("First day"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last_day = forms.DateField(label=_("Last day"), widget=forms.DateInput(attrs={"type": "date"}))
    rewards = forms.CharField(
        label=_("Points for each place, best first"),
        max_length=200,
        initial="500, 300, 100",
        help_text=_("For example 500, 300, 100: three places rewarded."),
    )
    public = forms.BooleanField(
        label=_("Show a public leaderboard page (only customers who agreed are named)"),
        required=False,
        initial=True,
    )

    def clean_rewards(self) -> list[int]:
        text = self.cleaned_data["rewards"]
        parts = [p for p in re.split(r"[,;\s]+", text) if p]
        if not parts or not all(p.isdigit() for p in parts):
            raise forms.ValidationError(_("Write whole numbers separated by commas."))
        return [int(p) for p in parts]


class SurpriseRuleForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120, initial=_("Surprise for regulars"))
    every_nth = forms.IntegerField(
        label=_("Every Nth order of a customer"), min_value=1, max_value=1000, initial=10
    )
    min_purchases = forms.IntegerField(
        label=_("Only for customers with at least this many orders"),
        min_value=0,
        max_value=10_000,
        initial=5,
    )
    points = forms.IntegerField(label=_("Gift points"), min_value=0, required=False)
    item = forms.CharField(label=_("Or a gift item"), max_length=120, required=False)
    monthly_count = forms.IntegerField(
        label=_("At most this many gifts a month"), min_value=0, required=False
    )
    monthly_points = forms.IntegerField(
        label=_("At most this many points a month"), min_value=0, required=False
    )
