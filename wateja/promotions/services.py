"""Promotion use cases: save and activate offers (validated by the engine), issue code
batches, tiers, referral codes and the referral of a friend."""

from __future__ import annotations

import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wateja.catalog.services import canonical_categories, canonical_skus
from wateja.core.errors import Conflict, DomainError, ValidationFailed
from wateja.core.money import MAX_AMOUNT_MINOR
from wateja.core.rules.model import Promotion as EnginePromotion
from wateja.customers.models import Customer
from wateja.promotions import hooks
from wateja.promotions.models import (
    Audience,
    CodeKind,
    PromoCode,
    Promotion,
    PromotionStatus,
    Referral,
    ReferralCode,
    ReferralRefusal,
    ReferralStatus,
    Tier,
    TierBasis,
)
from wateja.tenants.models import Business

# no 0/O, 1/I/L, 2/Z, 5/S, 8/B: codes read aloud or typed from paper stay unambiguous
CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
EDITABLE = (
    "name",
    "description",
    "type",
    "params",
    "conditions",
    "priority",
    "exclusive_group",
    "stackable",
    "max_discount_minor",
    "starts_at",
    "ends_at",
    "weekdays",
    "hour_from",
    "hour_to",
    "audience",
    "audience_values",
    "channels",
    "locations",
    "requires_code",
    "max_uses",
    "max_uses_per_customer",
    "budget_minor",
    "budget_period",
    "customer_limit_period",
    "recipe",
    "recipe_values",
)


def normalize_code(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _validate(business: Business, promotion: Promotion) -> None:
    from wateja.core.rules.engine import RuleError, validate_promotion
    from wateja.promotions.selectors import to_engine

    errors: dict[str, Any] = {}
    if not promotion.name.strip():
        errors["name"] = _("Enter a name.")
    if promotion.audience not in Audience.values:
        errors["audience"] = _("Unknown value.")
    if promotion.starts_at and promotion.ends_at and promotion.ends_at <= promotion.starts_at:
        errors["ends_at"] = _("The end must come after the start.")
    for field in ("hour_from", "hour_to"):
        value = getattr(promotion, field)
        if value is not None and not 0 <= value <= 24:
            errors[field] = _("Enter an hour from 0 to 24.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    engine: EnginePromotion = to_engine(promotion)
    try:
        validate_promotion(engine)
    except RuleError as error:
        path = getattr(error, "path", "") or "params"
        reason = getattr(error, "reason", "") or str(error)
        raise ValidationFailed(
            _("The offer's settings are not valid."),
            code="invalid_promotion",
            details={"fields": {path: [_rule_problem(reason, getattr(error, "params", {}))]}},
        ) from None


def _rule_problem(reason: str, params: Any) -> str:
    texts = {
        "required": _("This is required."),
        "unknown_key": _("Unknown setting."),
        "unknown_type": _("Unknown kind of offer."),
        "not_an_int": _("Enter a whole number."),
        "not_a_string": _("Enter text."),
        "not_a_list": _("Enter a list."),
        "not_an_object": _("Enter a group of settings."),
        "empty": _("This cannot be empty."),
        "out_of_range": _("Out of range: from %(minimum)s to %(maximum)s.")
        % {
            "minimum": (params or {}).get("minimum", "…"),
            "maximum": (params or {}).get("maximum", "…"),
        },
        "one_of": _("Give exactly one of: %(keys)s.")
        % {"keys": ", ".join(map(str, (params or {}).get("keys", [])))},
        "not_increasing": _("The steps must increase."),
        "too_deep": _("The conditions are nested too deeply."),
        "too_large": _("The conditions are too many."),
    }
    return texts.get(reason, reason)


@transaction.atomic
def promotion_save(
    *,
    business: Business,
    promotion: Promotion | None = None,
    created_by: User | None = None,
    **values: Any,
) -> Promotion:
    unknown = set(values) - set(EDITABLE)
    if unknown:
        raise ValidationFailed.fields(
            _("Some fields are not valid."), {k: _("Unknown field.") for k in unknown}
        )
    if promotion is None:
        promotion = Promotion(business=business, created_by=created_by)
    for key, value in values.items():
        setattr(promotion, key, value)
    if isinstance(promotion.params, dict):
        promotion.params = catalogue_spelling(business, promotion.params)
    _validate(business, promotion)
    promotion.save()
    saved = promotion
    transaction.on_commit(lambda: [step(saved) for step in hooks.saved_steps])
    return promotion


def catalogue_spelling(business: Business, params: dict[str, Any]) -> dict[str, Any]:
    """An offer's item codes and categories as the catalogue spells them (matched in any
    case), so "LATTE" in an offer and "latte" at the till are one product."""
    out = dict(params)
    if isinstance(out.get("skus"), list):
        out["skus"] = canonical_skus(business, [str(s) for s in out["skus"]])
    if isinstance(out.get("categories"), list):
        out["categories"] = canonical_categories(business, [str(c) for c in out["categories"]])
    if isinstance(out.get("sets"), list):
        out["sets"] = [
            {**entry, "skus": canonical_skus(business, [str(s) for s in entry["skus"]])}
            if isinstance(entry, dict) and isinstance(entry.get("skus"), list)
            else entry
            for entry in out["sets"]
        ]
    return out


def promotion_set_status(*, promotion: Promotion, status: str) -> Promotion:
    if status not in PromotionStatus.values:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"status": _("Unknown.")})
    if status == PromotionStatus.ACTIVE:
        _validate(promotion.business, promotion)
    promotion.status = status
    promotion.save(update_fields=["status", "updated_at"])
    return promotion


def codes_issue(
    *,
    promotion: Promotion,
    count: int = 1,
    kind: str = CodeKind.SINGLE_USE,
    code: str = "",
    prefix: str = "",
    length: int = 8,
    batch: str = "",
    max_uses: int | None = None,
    max_uses_per_customer: int | None = None,
    min_subtotal_minor: int | None = None,
    valid_from: dt.datetime | None = None,
    valid_until: dt.datetime | None = None,
    issued_to: Customer | None = None,
) -> list[PromoCode]:
    """One named code (e.g. WEEKEND25) or a batch of `count` random unique codes."""
    if kind not in CodeKind.values:
        raise ValidationFailed.fields(_("Some fields are not valid."), {"kind": _("Unknown.")})
    if not 1 <= count <= 100_000 or not 4 <= length <= 20:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"count": _("From 1 to 100000 codes of 4–20 characters.")},
        )
    if valid_from and valid_until and valid_until <= valid_from:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {"valid_until": _("The end must come after the start.")},
        )
    common = {
        "business_id": promotion.business_id,
        "promotion": promotion,
        "kind": kind,
        "batch": batch,
        "max_uses": 1 if kind == CodeKind.SINGLE_USE else max_uses,
        "max_uses_per_customer": max_uses_per_customer,
        "min_subtotal_minor": min_subtotal_minor,
        "valid_from": valid_from,
        "valid_until": valid_until,
        "issued_to": issued_to,
    }
    if code:
        wanted = normalize_code(code)
        if len(wanted) < 3:
            raise ValidationFailed.fields(
                _("Some fields are not valid."), {"code": _("At least 3 letters or digits.")}
            )
        try:
            with transaction.atomic():
                created = [PromoCode.objects.create(code=wanted, **common)]
        except IntegrityError:
            raise Conflict(_("This code exists already."), code="code_exists") from None
    else:
        prefix = normalize_code(prefix)
        created = []
        while len(created) < count:
            wanted_batch = {
                prefix + "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
                for _ in range(min(count - len(created), 5000))
            }
            taken = set(
                PromoCode.objects.filter(
                    business_id=promotion.business_id, code__in=wanted_batch
                ).values_list("code", flat=True)
            )
            fresh = [PromoCode(code=c, **common) for c in sorted(wanted_batch - taken)]
            created += PromoCode.objects.bulk_create(fresh, batch_size=1000)
    if not promotion.requires_code:
        Promotion.objects.filter(pk=promotion.pk).update(requires_code=True)
        promotion.requires_code = True
    return created


# ---------------------------------------------------------------- tiers


def tier_for_spend(business: Business, spend_minor: int) -> Tier | None:
    best = None
    for tier in Tier.objects.for_business(business).order_by("min_spend_minor"):
        if spend_minor >= tier.min_spend_minor:
            best = tier
    return best


# ---------------------------------------------------------------- referrals


def referral_code_for(customer: Customer) -> ReferralCode:
    existing: ReferralCode | None = ReferralCode.objects.filter(customer=customer).first()
    if existing is not None:
        return existing
    for _attempt in range(20):
        code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(6))
        try:
            with transaction.atomic():
                created: ReferralCode = ReferralCode.objects.create(
                    business_id=customer.business_id, customer=customer, code=code
                )
                return created
        except IntegrityError:
            existing = ReferralCode.objects.filter(customer=customer).first()
            if existing is not None:
                return existing  # type: ignore[no-any-return]
    raise Conflict(_("Could not create a referral code; try again."), code="referral_code")


class ReferralRefused(DomainError):
    code = "referral_refused"
    status = 409


@transaction.atomic
def referral_attach(*, friend: Customer, code: str) -> Referral:
    """Record that `friend` came through a referral code (at enrolment or at the till). Refuses
    self-referral, a friend who shares the referrer's phone, e-mail or card, a friend who
    already bought, and a second referrer."""
    link = (
        ReferralCode.objects.filter(business_id=friend.business_id, code=normalize_code(code))
        .select_related("customer")
        .first()
    )
    if link is None:
        raise DomainError(_("Unknown referral code."), code="referral_code_unknown", status=404)
    referrer = link.customer
    same_person = referrer.pk == friend.pk or any(
        getattr(referrer, f) and getattr(referrer, f) == getattr(friend, f)
        for f in ("phone", "email")
    )
    shared_card = referrer.cards.filter(number__in=friend.cards.values("number")).exists()
    who = {"referrer_id": referrer.pk, "code": link.code}
    if same_person or shared_card:
        raise ReferralRefused(
            _("A customer cannot refer themselves."), code="self_referral", details=who
        )
    if friend.purchase_count > 0:
        raise ReferralRefused(
            _("Only new customers can be referred."), code="not_a_new_customer", details=who
        )
    if Referral.objects.filter(friend=friend).exists():
        raise ReferralRefused(
            _("This customer was already referred."), code="already_referred", details=who
        )
    return Referral.objects.create(business_id=friend.business_id, referrer=referrer, friend=friend)


def referral_refusal_record(
    *, friend: Customer, error: ReferralRefused, typed: str = "", source: str = "till"
) -> ReferralRefusal:
    """Keep a refused referral for the referral report. Called by whoever caught the refusal,
    after `referral_attach`'s transaction rolled back (so the record is not rolled back)."""
    referrer_id = error.details.get("referrer_id")
    known = isinstance(referrer_id, int) and (
        Customer.objects.filter(pk=referrer_id, business_id=friend.business_id).exists()
    )
    return ReferralRefusal.objects.create(
        business_id=friend.business_id,
        friend=friend,
        referrer_id=referrer_id if known else None,
        code=str(error.details.get("code") or typed)[:40],
        reason=error.code[:30],
        source=source[:10],
        at=timezone.now(),
    )


def referrer_attach(*, friend: Customer, referrer: str) -> Referral:
    """`referral_attach` for what a cashier types: the referrer's code, or their phone
    number (any form the business's country writes it in)."""
    from wateja.customers.selectors import customer_identify

    text = referrer.strip()
    if sum(ch.isdigit() for ch in text) >= 7:
        try:
            found = customer_identify(friend.business, phone=text)
        except DomainError:
            found = None
        if found is not None:
            return referral_attach(friend=friend, code=referral_code_for(found).code)
    return referral_attach(friend=friend, code=text)


def referral_progress(*, friend: Customer, order_id: int, return_window_days: int) -> None:
    """The friend's first order starts the wait; the referral counts when the return window
    has passed without a full refund (see referrals_qualify)."""
    Referral.objects.filter(
        friend=friend, status=ReferralStatus.PENDING, first_order_id__isnull=True
    ).update(
        first_order_id=order_id,
        qualifies_at=timezone.now() + dt.timedelta(days=return_window_days),
    )


def referral_reward_used(*, customer: Customer) -> None:
    ReferralCode.objects.filter(customer=customer).update(rewards_used=F("rewards_used") + 1)


def tier_save(
    *,
    business: Business,
    name: str,
    min_spend_minor: int,
    discount_bp: int = 0,
    earn_multiplier_bp: int = 10_000,
    basis: str = TierBasis.LIFETIME,
    grace_days: int = 30,
    tier: Tier | None = None,
) -> Tier:
    """Create a tier, or change `tier` (its name too); a name is used once per business.
    Customers move to their new tier with the next purchase or the nightly recompute."""
    errors: dict[str, object] = {}
    if basis not in TierBasis.values:
        errors["basis"] = _("Unknown.")
    if not name.strip():
        errors["name"] = _("Enter a name.")
    if not 0 <= min_spend_minor <= MAX_AMOUNT_MINOR:
        errors["min_spend_minor"] = _("The amount is not valid.")
    if not 0 <= discount_bp <= 10_000:
        errors["discount_bp"] = _("Enter a percent from 0 to 100.")
    if not 10_000 <= earn_multiplier_bp <= 100_000:
        errors["earn_multiplier_bp"] = _("Enter a multiplier from 1 to 10.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    values = {
        "min_spend_minor": min_spend_minor,
        "discount_bp": discount_bp,
        "earn_multiplier_bp": earn_multiplier_bp,
        "basis": basis,
        "grace_days": grace_days,
    }
    taken = Tier.objects.for_business(business).filter(name__iexact=name.strip())
    if tier is None:
        found, _created = Tier.objects.update_or_create(
            business=business, name=name.strip(), defaults=values
        )
        return found
    if taken.exclude(pk=tier.pk).exists():
        raise Conflict(_("Another tier has this name."), code="tier_name_taken")
    tier.name = name.strip()
    for key, value in values.items():
        setattr(tier, key, value)
    tier.save()
    return tier


PROMOTION_TYPES = {
    "percent_off_order": gettext_lazy("Percent off the order"),
    "amount_off_order": gettext_lazy("Amount off the order"),
    "percent_off_items": gettext_lazy("Percent off some items"),
    "volume_discount": gettext_lazy("Volume discount (N or more)"),
    "bundle": gettext_lazy("Combo / bundle price"),
    "free_item": gettext_lazy("Free item"),
    "gift": gettext_lazy("Gift with purchase"),
    "points_per_amount": gettext_lazy("Points per amount spent"),
    "points_multiplier": gettext_lazy("Points multiplier (e.g. double points)"),
    "bonus_points": gettext_lazy("Bonus points"),
    "cashback_percent": gettext_lazy("Cashback percent"),
    "next_order_coupon": gettext_lazy("Coupon for the next order"),
    "referral_reward": gettext_lazy("Referral reward"),
}


def _listed(value: object) -> list[str]:
    """Items chosen from a list, or typed with commas between them."""
    raw = value if isinstance(value, list | tuple) else str(value or "").split(",")
    return [str(v).strip() for v in raw if str(v).strip()]


def offer_from_form(values: dict[str, Any]) -> dict[str, Any]:
    """Promotion fields from the manager's simple form: the few numbers a shop thinks in
    (percent, amount, points, minimum order) become the engine's params and conditions.
    Money values are already in minor units."""
    kind = values["type"]
    params: dict[str, Any] = {}
    items = {key: _listed(values.get(key)) for key in ("skus", "categories")}
    items = {k: v for k, v in items.items() if v}
    percent_bp = int(Decimal(str(values["percent"])) * 100) if values.get("percent") else None
    if kind in ("percent_off_order", "cashback_percent") and percent_bp is not None:
        params = {"percent_bp": percent_bp}
    elif kind == "amount_off_order" and values.get("amount_minor"):
        params = {"amount_minor": values["amount_minor"]}
    elif kind == "percent_off_items" and percent_bp is not None:
        params = {"percent_bp": percent_bp, **items}
    elif kind == "volume_discount" and percent_bp is not None:
        params = {
            "min_quantity": values.get("min_quantity") or 2,
            "percent_bp": percent_bp,
            **items,
        }
    elif kind == "bundle":
        params = {"sets": [{"skus": items.get("skus", [])}]}
        if values.get("amount_minor"):
            params["price_minor"] = values["amount_minor"]
        elif percent_bp is not None:
            params["percent_bp"] = percent_bp
    elif kind == "free_item":
        params = {"sku": (items.get("skus") or [""])[0], "quantity": 1}
    elif kind == "gift":
        params = {"description": values.get("description") or values.get("name", "")}
    elif kind == "points_per_amount":
        params = {
            "points": values.get("points") or 1,
            "per_amount_minor": values.get("amount_minor"),
        }
    elif kind == "points_multiplier":
        multiplier = Decimal(str(values.get("multiplier") or 2))
        params = {"multiplier_bp": int(multiplier * 10_000), **items}
    elif kind == "bonus_points":
        params = {"points": values.get("points")}
    elif kind == "next_order_coupon" and percent_bp is not None:
        params = {"percent_bp": percent_bp, "valid_days": values.get("valid_days") or 30}
    elif kind == "referral_reward":
        params = {"steps": [[1, 1000], [3, 2000], [5, 3000]]}
    conditions: Any = None
    if values.get("min_subtotal_minor"):
        conditions = {"type": "min_subtotal", "amount_minor": values["min_subtotal_minor"]}
    return {"type": kind, "params": params, "conditions": conditions}
