"""Forms of the payment screens: what the staff type, parsed for the payment services."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from wateja.payments.models import MpesaEnvironment, PaymentSettings


def _label(name: str) -> Any:
    model: Any = PaymentSettings
    return model._meta.get_field(name).verbose_name


class PaymentSettingsForm(forms.Form):
    mpesa_shortcode = forms.CharField(
        label=_label("mpesa_shortcode"), max_length=12, required=False
    )
    mpesa_environment = forms.ChoiceField(
        label=_label("mpesa_environment"), choices=MpesaEnvironment.choices
    )
    mpesa_consumer_key = forms.CharField(
        label=_label("mpesa_consumer_key"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    mpesa_consumer_secret = forms.CharField(
        label=_label("mpesa_consumer_secret"),
        max_length=200,
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )
    receipt_sms = forms.BooleanField(label=_label("receipt_sms"), required=False)
    hook_allowed_ips = forms.CharField(
        label=_label("hook_allowed_ips"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One address or network per line, e.g. Safaricom's published addresses; "
            "empty: any address."
        ),
    )

    b2c_enabled = forms.BooleanField(label=_label("b2c_enabled"), required=False)
    b2c_shortcode = forms.CharField(
        label=_label("b2c_shortcode"),
        max_length=12,
        required=False,
        help_text=_("Empty: the till or paybill number above."),
    )
    b2c_initiator = forms.CharField(label=_label("b2c_initiator"), max_length=100, required=False)
    b2c_security_credential = forms.CharField(
        label=_label("b2c_security_credential"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
    )

    @staticmethod
    def initial_for(row: PaymentSettings) -> dict[str, Any]:
        return {
            "mpesa_shortcode": row.mpesa_shortcode,
            "mpesa_environment": row.mpesa_environment,
            "receipt_sms": row.receipt_sms,
            "hook_allowed_ips": row.hook_allowed_ips,
            "b2c_enabled": row.b2c_enabled,
            "b2c_shortcode": row.b2c_shortcode,
            "b2c_initiator": row.b2c_initiator,
        }


class PayoutForm(forms.Form):
    account = forms.CharField(
        label=_("Customer's card number or phone"),
        max_length=64,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    amount = forms.IntegerField(label=_("Amount (whole shillings)"), min_value=1, max_value=150_000)
    phone = forms.CharField(
        label=_("M-Pesa number"),
        max_length=32,
        required=False,
        help_text=_("Empty: the customer's own phone."),
    )


class MatchForm(forms.Form):
    account = forms.CharField(
        label=_("Customer's card number or phone"),
        max_length=64,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
