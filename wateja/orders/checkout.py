"""The checkout flow: evaluate (a dry run, any number of times) → reserve (codes, budgets
and points held with a time limit) → commit (order, ledger postings, code use, coupons,
referral progress, timeline) → refund (orders.refunds). Every step is
idempotent on the checkout key; a one-time code can be reserved by one checkout only."""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
from typing import Any

from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wateja.catalog.models import Product, Unit
from wateja.catalog.services import text_key
from wateja.core.errors import Conflict, DomainError, ValidationFailed
from wateja.core.money import MAX_AMOUNT_MINOR
from wateja.core.rules import Cart, Context, CustomerFacts, Evaluation, Line, evaluate
from wateja.core.rules.model import Budget, Rejection
from wateja.customers.events import Event, purchase_data
from wateja.customers.models import Customer, InteractionKind
from wateja.customers.services import interaction_add
from wateja.orders.models import Checkout, CheckoutStatus, Order, OrderLine
from wateja.orders.outbound import order_data
from wateja.orders.services import customer_stats_recompute
from wateja.promotions.messages import rejection_text
from wateja.promotions.models import (
    CodeKind,
    PromoCode,
    Promotion,
    PromotionStatus,
    Redemption,
    RedemptionStatus,
    Referral,
    ReferralCode,
    ReferralStatus,
)
from wateja.promotions.selectors import budgets_for, cached_active, to_engine
from wateja.promotions.services import codes_issue, normalize_code, referral_progress
from wateja.tenants.models import ApiKey, Business, Location
from wateja.tenants.outbound import event_emit
from wateja.wallet import services as wallet
from wateja.wallet.models import Kind

RESERVATION_MINUTES = 15
MAX_LINES = 500
MAX_QUANTITY = 100_000
MAX_WEIGHT_GRAMS = 10_000_000  # ten tonnes


class ReservationExpired(Conflict):
    code = "reservation_expired"


class CodeAlreadyUsed(Conflict):
    code = "code_used"


class BudgetExhausted(Conflict):
    code = "budget_exhausted"


# ---------------------------------------------------------------- input


@dataclasses.dataclass(frozen=True)
class SaleInput:
    """What the till sends: lines or only a total, codes, cashier ticks, points to pay with."""

    currency: str
    lines: tuple[dict[str, Any], ...] = ()
    total_minor: int | None = None
    codes: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    channel: str = "store"
    location_id: int | None = None
    points_to_spend: int = 0
    cashback_to_spend_minor: int = 0
    store_credit_to_spend_minor: int = 0

    def fingerprint(self, customer_id: int | None) -> str:
        data = {**dataclasses.asdict(self), "customer": customer_id}
        return hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()


def build_cart(business: Business, sale: SaleInput) -> Cart:
    errors: dict[str, Any] = {}
    if sale.currency.upper() != business.currency:
        raise ValidationFailed(
            _("This business sells in %(currency)s.") % {"currency": business.currency},
            code="currency_mismatch",
            details={"fields": {"currency": [business.currency]}},
        )
    if not sale.lines and sale.total_minor is None:
        errors["lines"] = _("Enter items or a total.")
    if len(sale.lines) > MAX_LINES:
        errors["lines"] = _("At most %(count)s lines.") % {"count": MAX_LINES}
    lines = []
    products = _catalogue_products(business, sale.lines)
    for n, raw in enumerate(sale.lines):
        raw = _from_catalogue(raw, products, errors, n)
        quantity, price = raw.get("quantity", 1), raw.get("unit_price_minor")
        weight = raw.get("weight_grams", 0) or 0
        if not str(raw.get("sku", "")).strip():
            errors[f"lines.{n}.sku"] = _("Enter the item code.")
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity <= 0:
            errors[f"lines.{n}.quantity"] = _("The quantity must be a whole number above zero.")
        elif quantity > MAX_QUANTITY:
            errors[f"lines.{n}.quantity"] = _("The quantity is too large.")
        if price is None:
            if not {f"lines.{n}.sku", f"lines.{n}.weight_grams"} & set(errors):
                errors[f"lines.{n}.unit_price_minor"] = _(
                    "Enter the price: the item is not in the catalogue."
                )
        elif not isinstance(price, int) or isinstance(price, bool) or price < 0:
            errors[f"lines.{n}.unit_price_minor"] = _("The price cannot be negative.")
        elif price > MAX_AMOUNT_MINOR or (
            isinstance(quantity, int) and price * max(quantity, 1) > MAX_AMOUNT_MINOR
        ):
            errors[f"lines.{n}.unit_price_minor"] = _("The amount is too large.")
        if not isinstance(weight, int) or isinstance(weight, bool) or weight < 0:
            errors[f"lines.{n}.weight_grams"] = _("The weight cannot be negative.")
        elif weight > MAX_WEIGHT_GRAMS:
            errors[f"lines.{n}.weight_grams"] = _("The weight is too large.")
        if not errors:
            lines.append(
                Line(
                    sku=str(raw["sku"]).strip(),
                    quantity=quantity,
                    unit_price_minor=int(price or 0),
                    name=str(raw.get("name", ""))[:200],
                    category=str(raw.get("category", ""))[:64],
                    weight_grams=weight,
                )
            )
    if (
        sale.total_minor is not None
        and not sale.lines
        and not 0 <= sale.total_minor <= MAX_AMOUNT_MINOR
    ):
        errors["total_minor"] = _("The amount cannot be negative.")
    for name in ("points_to_spend", "cashback_to_spend_minor", "store_credit_to_spend_minor"):
        value = getattr(sale, name)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            errors[name] = _("Enter a whole number, 0 or more.")
        elif value > MAX_AMOUNT_MINOR:
            errors[name] = _("The number is too large.")
    if errors:
        raise ValidationFailed.fields(_("Some fields are not valid."), errors)
    return Cart(
        currency=business.currency,
        lines=tuple(lines),
        total_only_minor=None if sale.lines else sale.total_minor,
    )


def _catalogue_products(
    business: Business, lines: tuple[dict[str, Any], ...]
) -> dict[str, Product]:
    """The catalogue's products for the codes on the lines (barcode or SKU, any case)."""
    codes = {str(raw.get("sku", "")).strip() for raw in lines} - {""}
    if not codes:
        return {}
    found: dict[str, Product] = {}
    keys = {text_key(code) for code in codes}
    for product in (
        Product.objects.for_business(business)
        .filter(Q(sku_key__in=keys) | Q(barcode__in=codes))
        .select_related("category")
    ):
        found[product.sku_key] = product
        if product.barcode:
            found[product.barcode] = product
    return found


def _from_catalogue(
    raw: dict[str, Any], products: dict[str, Product], errors: dict[str, Any], n: int
) -> dict[str, Any]:
    """A line with what the catalogue knows filled in: its own SKU spelling and category, the
    name and price unless the line brings them (an outside till keeps its own prices). A
    product sold by weight is one line of `weight_grams`, priced by its kg or g price."""
    code = str(raw.get("sku", "")).strip()
    product = products.get(code) or products.get(text_key(code))
    if product is None:
        return raw
    line = {
        **raw,
        "sku": product.sku,
        "name": raw.get("name") or product.name_in(translation.get_language() or "en"),
        # the catalogue's category, as offers name it (they are spelled from the catalogue)
        "category": product.category.name if product.category else raw.get("category", ""),
    }
    if product.by_weight:
        grams = raw.get("weight_grams")
        if not isinstance(grams, int) or isinstance(grams, bool) or grams <= 0:
            errors[f"lines.{n}.weight_grams"] = _("Weigh the item: enter its weight in grams.")
            return line
        if line.get("unit_price_minor") is None and grams <= MAX_WEIGHT_GRAMS:
            per = 1000 if product.unit == Unit.KG else 1
            line["unit_price_minor"] = (product.price_minor * grams + per // 2) // per
        line["quantity"] = 1
    else:
        if line.get("unit_price_minor") is None:
            line["unit_price_minor"] = product.price_minor
        if not line.get("weight_grams"):
            line["weight_grams"] = product.weight_grams
    return line


def customer_facts(customer: Customer | None) -> CustomerFacts | None:
    """What the rules may know of the customer, in three queries (facts, cards, tags)."""
    if customer is None:
        return None
    row = (
        Customer.objects.filter(pk=customer.pk)
        .annotate(
            tier_name=F("tier_state__tier__name"),
            rewards_used=F("referral_code__rewards_used"),
            converted=Count(
                "referrals_made", filter=Q(referrals_made__status=ReferralStatus.QUALIFIED)
            ),
        )
        .values("tier_name", "rewards_used", "converted")
        .get()
    )
    cards = list(customer.cards.order_by("issued_at").values_list("status", "issued_at"))
    return CustomerFacts(
        id=customer.pk,
        is_member=any(status == "active" for status, _issued in cards),
        tier=row["tier_name"] or "",
        tags=frozenset(customer.tag_links.values_list("tag__name", flat=True)),
        # stamps carried over from the previous system count as visits on the stamp card
        purchase_count=customer.purchase_count + customer.stamps_carried,
        first_purchase_at=customer.first_purchase_at,
        last_purchase_at=customer.last_purchase_at,
        birth_month=customer.birth_month,
        birth_day=customer.birth_day,
        card_issued_at=cards[0][1] if cards else None,
        referrals_converted=row["converted"],
        referral_rewards_used=row["rewards_used"] or 0,
        total_spent_minor=customer.total_spent_minor,
    )


# ---------------------------------------------------------------- evaluate


def _code_promotions(
    business: Business,
    sale: SaleInput,
    cart: Cart,
    customer: Customer | None,
    now: dt.datetime,
) -> tuple[list[Any], list[Rejection], dict[int, str]]:
    """Engine promotions for the codes entered that are valid now, and a rejection for each
    that is not (unknown, expired, used up, threshold not met)."""
    engine, rejected, code_of = [], [], {}
    for raw in sale.codes:
        code = normalize_code(raw)
        if not code:
            continue
        found = (
            PromoCode.objects.for_business(business)
            .filter(code=code)
            .select_related("promotion")
            .first()
        )

        def reject(
            reason: str, found: PromoCode | None = found, code: str = code, **params: Any
        ) -> None:
            promotion = found.promotion if found else None
            rejected.append(
                Rejection(
                    promotion_id=promotion.pk if promotion else 0,
                    name=promotion.name if promotion else code,
                    code=reason,
                    params={"code": code, **params},
                )
            )

        if found is None or found.promotion.status != PromotionStatus.ACTIVE:
            reject("code_unknown")
            continue
        if found.valid_from and now < found.valid_from:
            reject("code_not_started", starts_at=found.valid_from.isoformat())
            continue
        if found.valid_until and now >= found.valid_until:
            reject("code_expired", ended_at=found.valid_until.isoformat())
            continue
        if found.issued_to_id and (customer is None or customer.pk != found.issued_to_id):
            reject("code_not_yours")
            continue
        live = Redemption.objects.filter(code=found, status__in=["reserved", "committed"])
        if found.max_uses is not None and live.count() >= found.max_uses:
            reject("code_used")
            continue
        if (
            found.max_uses_per_customer
            and customer is not None
            and live.filter(customer=customer).count() >= found.max_uses_per_customer
        ):
            reject("customer_limit_reached")
            continue
        if found.min_subtotal_minor and cart.subtotal_minor < found.min_subtotal_minor:
            reject(
                "min_subtotal_not_met",
                missing_minor=found.min_subtotal_minor - cart.subtotal_minor,
                required_minor=found.min_subtotal_minor,
            )
            continue
        budget = budgets_for([found.promotion], customer, now).get(found.promotion.pk)
        engine.append(to_engine(found.promotion, codes=frozenset({code}), budget=budget))
        code_of[found.promotion.pk] = code
    return engine, rejected, code_of


@dataclasses.dataclass(frozen=True)
class Payment:
    """What the customer pays from their balances, each part capped at what they have and at
    what the bill still costs (points first, then cashback, then store credit); the rest is
    money. The requested and largest possible points are kept for the till to show."""

    points: int = 0
    points_minor: int = 0
    cashback_minor: int = 0
    store_credit_minor: int = 0
    points_requested: int = 0
    points_max: int = 0

    @property
    def rewards_minor(self) -> int:
        """The part paid with rewards, which earns nothing."""
        return self.points_minor + self.cashback_minor

    @property
    def balances_minor(self) -> int:
        return self.rewards_minor + self.store_credit_minor


# what each balance paid, the wallet kind it is spent from and the key of its hold
PAYMENT_PARTS = (
    ("points", Kind.POINTS, "points"),
    ("cashback_minor", Kind.CASHBACK, "pay:cashback"),
    ("store_credit_minor", Kind.STORE_CREDIT, "pay:store_credit"),
)


def payment_holds(key: str, payment: dict[str, int]) -> list[tuple[str, int, str]]:
    """(wallet kind, amount, operation key) of each balance a checkout pays with."""
    return [
        (kind, int(payment.get(part, 0)), f"checkout:{key}:{suffix}")
        for part, kind, suffix in PAYMENT_PARTS
        if payment.get(part, 0)
    ]


def _payment(
    business: Business, customer: Customer | None, sale: SaleInput, total_minor: int
) -> Payment:
    wanted = {
        "points_to_spend": sale.points_to_spend,
        "cashback_to_spend_minor": sale.cashback_to_spend_minor,
        "store_credit_to_spend_minor": sale.store_credit_to_spend_minor,
    }
    if not any(wanted.values()):
        return Payment()
    if customer is None:
        raise ValidationFailed.fields(
            _("Some fields are not valid."),
            {
                name: _("Identify the customer to pay from their balance.")
                for name, value in wanted.items()
                if value
            },
        )
    have = {kind: max(0, row["available"]) for kind, row in wallet.balances(customer).items()}
    value_each = wallet.wallet_settings(business).point_value_minor
    left = total_minor
    points_max = min(have.get(Kind.POINTS, 0), left // value_each) if value_each > 0 else 0
    points = min(sale.points_to_spend, points_max)
    left -= points * value_each
    cashback = min(sale.cashback_to_spend_minor, have.get(Kind.CASHBACK, 0), left)
    left -= cashback
    store_credit = min(sale.store_credit_to_spend_minor, have.get(Kind.STORE_CREDIT, 0), left)
    return Payment(
        points=points,
        points_minor=points * value_each,
        cashback_minor=cashback,
        store_credit_minor=store_credit,
        points_requested=sale.points_to_spend,
        points_max=points_max,
    )


@dataclasses.dataclass
class Priced:
    cart: Cart
    evaluation: Evaluation
    extra_rejections: list[Rejection]
    code_of: dict[int, str]
    payment: Payment

    @property
    def payable_minor(self) -> int:
        return self.evaluation.total_minor - self.payment.balances_minor


def price(
    *,
    business: Business,
    sale: SaleInput,
    customer: Customer | None,
    now: dt.datetime | None = None,
) -> Priced:
    now = now or timezone.now()
    cart = build_cart(business, sale)
    context = Context(
        now=now,
        timezone=business.timezone,
        channel=sale.channel,
        location_id=sale.location_id,
        codes=tuple(normalize_code(c) for c in sale.codes if normalize_code(c)),
        flags=frozenset(sale.flags),
        language=translation.get_language() or business.default_language,
    )
    stored, index = cached_active(business)
    candidates = index.candidates(cart, context)
    by_id = {p.pk: p for p in stored}
    limited = [by_id[c.id] for c in candidates if c.id in by_id]
    budgets = budgets_for(limited, customer, now)
    engine = [
        dataclasses.replace(c, budget=budgets[c.id]) if c.id in budgets else c for c in candidates
    ]
    code_promos, code_rejections, code_of = _code_promotions(business, sale, cart, customer, now)
    facts = customer_facts(customer)
    evaluation = evaluate(cart, facts, [*engine, *code_promos], context)
    payment = _payment(business, customer, sale, evaluation.total_minor)
    if payment.rewards_minor:  # again, so points and cashback follow the money paid
        cart = dataclasses.replace(cart, rewards_paid_minor=payment.rewards_minor)
        evaluation = evaluate(cart, facts, [*engine, *code_promos], context)
    return Priced(
        cart=cart,
        evaluation=evaluation,
        extra_rejections=code_rejections,
        code_of=code_of,
        payment=payment,
    )


def describe(business: Business, customer: Customer | None, priced: Priced) -> dict[str, Any]:
    """The evaluation as the API and the till show it, messages in the active language."""
    ev = priced.evaluation
    lines = [
        {
            "sku": line.sku,
            "name": line.name,
            "quantity": line.quantity,
            "unit_price_minor": line.unit_price_minor,
            "total_minor": line.total_minor,
            "discount_minor": ev.line_discounts_minor[n] if n < len(ev.line_discounts_minor) else 0,
        }
        for n, line in enumerate(priced.cart.lines)
    ]
    rejected = [*priced.extra_rejections, *ev.rejected]
    return {
        "currency": ev.currency,
        "customer_id": customer.pk if customer else None,
        "subtotal_minor": ev.subtotal_minor,
        "discount_minor": ev.discount_minor,
        "total_minor": ev.total_minor,
        "points_payment": {
            "points": priced.payment.points,
            "value_minor": priced.payment.points_minor,
        },
        "payment": {
            **dataclasses.asdict(priced.payment),
            "money_minor": priced.payable_minor,
        },
        "payable_minor": priced.payable_minor,
        # what points and cashback pay for earns nothing (the engine counts the money paid)
        "points_to_earn": ev.points,
        "cashback_minor": ev.cashback_minor,
        "lines": lines,
        "applied": [
            {
                "promotion_id": a.promotion_id,
                "name": a.name,
                "discount_minor": a.discount_minor,
                "code": priced.code_of.get(a.promotion_id, a.code),
                "effects": [
                    {
                        "kind": str(e.kind),
                        "amount_minor": e.amount_minor,
                        "sku": e.sku,
                        "quantity": e.quantity,
                        "data": dict(e.data),
                    }
                    for e in a.effects
                ],
            }
            for a in ev.applied
        ],
        "rejected": [
            {
                "promotion_id": r.promotion_id,
                "name": r.name,
                "code": r.code,
                "params": dict(r.params),
                "message": rejection_text(r, business.currency),
            }
            for r in rejected
        ],
        "gifts": [{"sku": g.sku, "quantity": g.quantity, "data": dict(g.data)} for g in ev.gifts],
        "coupons": [dict(c.data) for c in ev.coupons],
    }


def checkout_evaluate(
    *,
    business: Business,
    sale: SaleInput,
    customer: Customer | None,
    now: dt.datetime | None = None,
) -> dict[str, Any]:
    """A dry run: nothing is written."""
    _check_customer(business, customer)
    return describe(
        business, customer, price(business=business, sale=sale, customer=customer, now=now)
    )


def _check_customer(business: Business, customer: Customer | None) -> None:
    if customer is not None and customer.business_id != business.pk:
        raise DomainError(_("Customer not found."), code="not_found", status=404)
    if customer is not None and not customer.is_active:
        raise Conflict(_("This customer was erased or merged."), code="customer_inactive")


# ---------------------------------------------------------------- reserve


@transaction.atomic
def checkout_reserve(
    *,
    business: Business,
    key: str,
    sale: SaleInput,
    customer: Customer | None,
    location: Location | None = None,
    now: dt.datetime | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Checkout:
    """Hold what the sale needs for RESERVATION_MINUTES: one-time codes, budgets and the
    points the customer pays with. The same key again returns the same reservation."""
    now = now or timezone.now()
    key = (key or "").strip()
    if not key or len(key) > wallet.CLIENT_KEY_MAX:
        raise ValidationFailed(
            _("Send a checkout key (Idempotency-Key) of 1 to %(count)s characters.")
            % {"count": wallet.CLIENT_KEY_MAX},
            code="idempotency_key_required",
            status=400,
        )
    _check_customer(business, customer)
    fingerprint = sale.fingerprint(customer.pk if customer else None)
    if Checkout.objects.for_business(business).filter(key=key).exists():
        return _same_reservation(business, key, fingerprint)
    priced = price(business=business, sale=sale, customer=customer, now=now)
    applied_ids = sorted(a.promotion_id for a in priced.evaluation.applied if a.promotion_id > 0)
    # lock the promotions whose budgets this sale uses, in id order (no deadlocks)
    locked = {
        p.pk: p
        for p in Promotion.objects.select_for_update().filter(pk__in=applied_ids).order_by("pk")
    }
    budgets = budgets_for(list(locked.values()), customer, now)
    for applied in priced.evaluation.applied:
        budget = budgets.get(applied.promotion_id, Budget())
        if (
            budget.uses_left == 0
            or budget.customer_uses_left == 0
            or (
                budget.amount_left_minor is not None
                and budget.amount_left_minor < applied.discount_minor
            )
        ):
            raise BudgetExhausted(
                _("The offer “%(name)s” has just run out.") % {"name": applied.name},
                details={"promotion_id": applied.promotion_id},
            )
    try:
        with transaction.atomic():
            checkout = Checkout.objects.create(
                business=business,
                key=key,
                customer=customer,
                location=location,
                status=CheckoutStatus.RESERVED,
                request={"fingerprint": fingerprint, "sale": dataclasses.asdict(sale)},
                evaluation=describe(business, customer, priced),
                points_to_spend=priced.payment.points,
                expires_at=now + dt.timedelta(minutes=RESERVATION_MINUTES),
            )
    except IntegrityError:
        # the same key reserved by a parallel request, which committed first (PostgreSQL
        # made this insert wait for it): its reservation is the answer
        return _same_reservation(business, key, fingerprint)
    for applied in priced.evaluation.applied:
        if applied.promotion_id <= 0:  # tiers: no stored promotion, no budget
            continue
        code_text = priced.code_of.get(applied.promotion_id, "")
        code = (
            PromoCode.objects.for_business(business).filter(code=code_text).first()
            if code_text
            else None
        )
        try:
            with transaction.atomic():
                Redemption.objects.create(
                    business=business,
                    promotion_id=applied.promotion_id,
                    code=code,
                    single_use_code=code.code
                    if code and code.kind == CodeKind.SINGLE_USE
                    else None,
                    customer=customer,
                    checkout_key=key,
                    discount_minor=applied.discount_minor,
                    status=RedemptionStatus.RESERVED,
                )
        except IntegrityError:
            raise CodeAlreadyUsed(
                _("The code %(code)s has just been used.") % {"code": code_text},
                details={"code": code_text},
            ) from None
    if customer is not None:
        for kind, amount, hold_key in payment_holds(key, checkout.evaluation["payment"]):
            wallet.balance_spend(
                customer=customer,
                amount=amount,
                kind=kind,
                idempotency_key=hold_key,
                reference=f"checkout:{key}",
                hold_minutes=RESERVATION_MINUTES,
                actor=actor,
                api_key=api_key,
                location_id=location.pk if location else None,
                now=now,
            )
    return checkout


def _same_reservation(business: Business, key: str, fingerprint: str) -> Checkout:
    existing: Checkout = Checkout.objects.for_business(business).get(key=key)
    if existing.request.get("fingerprint") != fingerprint:
        raise Conflict(
            _("This Idempotency-Key was already used for a different request."),
            code="idempotency_key_reused",
        )
    return existing


# ---------------------------------------------------------------- commit


@transaction.atomic
def checkout_commit(
    *,
    business: Business,
    key: str,
    now: dt.datetime | None = None,
    actor: User | None = None,
    api_key: ApiKey | None = None,
) -> Order:
    """Record the sale: the order and its lines, the points paid (posted from the hold) and
    earned, the cashback, code and budget use, next-order coupons, referral progress and the
    customer's timeline. Committing twice returns the same order."""
    now = now or timezone.now()
    checkout = Checkout.objects.select_for_update().filter(business=business, key=key).first()
    if checkout is None:
        raise DomainError(_("No checkout with this key."), code="not_found", status=404)
    if checkout.status == CheckoutStatus.COMMITTED and checkout.order is not None:
        done: Order = checkout.order
        return done
    if checkout.status == CheckoutStatus.RELEASED or now > checkout.expires_at:
        _release(checkout, now)
        raise ReservationExpired(
            _("The reservation has expired; evaluate and reserve again."),
            code="reservation_expired",
        )
    ev = checkout.evaluation
    customer = checkout.customer
    paid = _payment_of(ev)
    order = Order.objects.create(
        business=business,
        customer=customer,
        location=checkout.location,
        number=f"W-{checkout.pk}",
        currency=business.currency,
        subtotal_minor=ev["subtotal_minor"],
        discount_minor=ev["discount_minor"],
        total_minor=ev["total_minor"],
        paid_points=paid.get("points", 0),
        paid_points_minor=paid.get("points_minor", 0),
        paid_cashback_minor=paid.get("cashback_minor", 0),
        paid_store_credit_minor=paid.get("store_credit_minor", 0),
        placed_at=now,
        channel=checkout.request["sale"].get("channel", "store"),
        cashier=actor if actor is not None and actor.is_authenticated else None,
        api_key=api_key,
    )
    OrderLine.objects.bulk_create(
        [
            OrderLine(
                business=business,
                order=order,
                sku=line["sku"],
                name=line["name"],
                quantity=line["quantity"],
                unit_price_minor=line["unit_price_minor"],
                discount_minor=line["discount_minor"],
            )
            for line in ev["lines"]
        ]
    )
    reference = f"order:{order.pk}"
    redemptions = Redemption.objects.filter(business=business, checkout_key=key).order_by(
        "promotion_id", "pk"
    )
    # the promotions first, in id order, as checkout_reserve locks them, then the accounts:
    # one order of locks for every sale, or concurrent sales deadlock (benchmarks/load_test.py)
    promotion_ids = sorted({r.promotion_id for r in redemptions})
    list(Promotion.objects.select_for_update().filter(pk__in=promotion_ids).order_by("pk"))
    if customer is not None:
        from wateja.wallet.models import Operation

        for _kind, _amount, hold_key in payment_holds(key, paid):
            wallet.pending_resolve(business=business, operation_key=hold_key, post=True, now=now)
            Operation.objects.filter(business=business, key=hold_key).update(reference=reference)
    for redemption in redemptions:
        Promotion.objects.filter(pk=redemption.promotion_id).update(
            uses_count=F("uses_count") + 1,
            discount_total_minor=F("discount_total_minor") + redemption.discount_minor,
        )
        if redemption.code_id:
            PromoCode.objects.filter(pk=redemption.code_id).update(uses_count=F("uses_count") + 1)
    redemptions.update(status=RedemptionStatus.COMMITTED, order_id=order.pk)
    if customer is not None:
        _reward(business, customer, checkout, order, reference, now, (actor, api_key))
    checkout.status, checkout.order = CheckoutStatus.COMMITTED, order
    checkout.save(update_fields=["status", "order", "evaluation"])
    event_emit(
        business_id=business.pk,
        event_type="order.committed",
        data={"order": order_data(order)},
        at=now,
    )
    for redemption in redemptions.filter(code__isnull=False).select_related("code", "promotion"):
        event_emit(
            business_id=business.pk,
            event_type="code.redeemed",
            data={
                "code": redemption.code.code,
                "promotion": {"id": redemption.promotion_id, "name": redemption.promotion.name},
                "customer_id": order.customer_id,
                "order_id": order.pk,
                "discount_minor": redemption.discount_minor,
            },
            at=now,
        )
    return order


def _reward(
    business: Business,
    customer: Customer,
    checkout: Checkout,
    order: Order,
    reference: str,
    now: dt.datetime,
    by: tuple[User | None, ApiKey | None],
) -> None:
    ev = checkout.evaluation
    for kind, amount, suffix in (
        (Kind.POINTS, ev["points_to_earn"], "earn"),
        (Kind.CASHBACK, ev["cashback_minor"], "cashback"),
    ):
        if amount > 0:
            wallet.points_earn(
                customer=customer,
                amount=amount,
                kind=kind,
                idempotency_key=f"checkout:{checkout.key}:{suffix}",
                reference=reference,
                now=now,
                actor=by[0],
                api_key=by[1],
                location_id=order.location_id,
            )
    for applied in ev["applied"]:
        for n, effect in enumerate(applied["effects"]):
            if effect["kind"] == "issue_coupon":
                _issue_coupon(
                    business, customer, applied["promotion_id"], f"{checkout.key}:{n}", now
                )
    handed = _hand_out_partner_coupons(business, customer, ev)
    if handed:
        checkout.evaluation = {**ev, "partner_coupons": handed}
        ev = checkout.evaluation
    applied_ids = [a["promotion_id"] for a in ev["applied"] if a["promotion_id"] > 0]
    if Promotion.objects.filter(pk__in=applied_ids, type="referral_reward").exists():
        # the reward is for the friends counted so far; the next one needs a new friend
        converted = Referral.objects.filter(
            referrer=customer, status=ReferralStatus.QUALIFIED
        ).count()
        ReferralCode.objects.filter(customer=customer).update(rewards_used=converted)
    window = wallet.wallet_settings(business).pending_days
    referral_progress(friend=customer, order_id=order.pk, return_window_days=window)
    interaction_add(
        customer=customer,
        kind=InteractionKind.PURCHASE,
        event=Event.PURCHASE,
        data=purchase_data(order.number, order.total_minor, business.currency, ev["applied"]),
        occurred_at=now,
        reference=reference,
    )
    customer_stats_recompute(business=business, customer_ids=[customer.pk])
    from wateja.orders.loyalty import tier_recompute

    tier_recompute(customer=customer, now=now)


def _hand_out_partner_coupons(
    business: Business, customer: Customer, ev: dict[str, Any]
) -> list[dict[str, str]]:
    """Gifts that name a partner pool get one unused code from that pool (a promotion holding
    a partner business's coupon codes), given to this customer; none left, none given."""
    handed = []
    for gift in ev["gifts"]:
        pool_id = gift["data"].get("partner_pool_id")
        if not pool_id:
            continue
        code = (
            PromoCode.objects.select_for_update(skip_locked=True)
            .filter(business=business, promotion_id=pool_id, issued_to__isnull=True)
            .order_by("id")
            .first()
        )
        if code is None:
            continue
        code.issued_to = customer
        code.save(update_fields=["issued_to"])
        pool = Promotion.objects.get(pk=pool_id)
        handed.append({"code": code.code, "partner": pool.name, "description": pool.description})
    return handed


def _issue_coupon(
    business: Business, customer: Customer, source_id: int, tag: str, now: dt.datetime
) -> None:
    """A next-order coupon: a one-time code for this customer on the code promotion that the
    issuing promotion names in `coupon_promotion_id` (e.g. "10% off your next visit")."""
    source = Promotion.objects.filter(business=business, pk=source_id).first()
    if source is None:
        return
    target_id = source.params.get("coupon_promotion_id")
    promotion = (
        Promotion.objects.filter(business=business, pk=target_id).first() if target_id else None
    )
    if promotion is None:
        return
    days = int(source.params.get("valid_days", 30))
    codes_issue(
        promotion=promotion,
        count=1,
        kind=CodeKind.SINGLE_USE,
        batch=f"next-order:{tag}"[:60],
        valid_until=now + dt.timedelta(days=days),
        issued_to=customer,
    )


def _payment_of(evaluation: dict[str, Any]) -> dict[str, int]:
    """The balances a stored checkout pays with (checkouts reserved before the split knew
    only points)."""
    payment = evaluation.get("payment")
    if payment is not None:
        return payment  # type: ignore[no-any-return]
    old = evaluation.get("points_payment") or {}
    return {"points": old.get("points", 0), "points_minor": old.get("value_minor", 0)}


# ---------------------------------------------------------------- release and expiry


def _release(checkout: Checkout, now: dt.datetime) -> None:
    if checkout.status != CheckoutStatus.RESERVED:
        return
    Redemption.objects.filter(
        business_id=checkout.business_id,
        checkout_key=checkout.key,
        status=RedemptionStatus.RESERVED,
    ).update(status=RedemptionStatus.RELEASED)
    for _kind, _amount, hold_key in payment_holds(checkout.key, _payment_of(checkout.evaluation)):
        with contextlib.suppress(DomainError):  # no hold was placed
            wallet.pending_resolve(
                business=checkout.business, operation_key=hold_key, post=False, now=now
            )
    checkout.status = CheckoutStatus.RELEASED
    checkout.save(update_fields=["status"])


@transaction.atomic
def checkout_release(*, business: Business, key: str, now: dt.datetime | None = None) -> Checkout:
    checkout = Checkout.objects.select_for_update().filter(business=business, key=key).first()
    if checkout is None:
        raise DomainError(_("No checkout with this key."), code="not_found", status=404)
    if checkout.status == CheckoutStatus.COMMITTED:
        raise Conflict(_("This sale is complete; refund it instead."), code="already_committed")
    _release(checkout, now or timezone.now())
    return checkout  # type: ignore[no-any-return]


def checkout_expire_due(*, business: Business, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    count = 0
    for checkout_id in Checkout.objects.filter(
        business=business, status=CheckoutStatus.RESERVED, expires_at__lt=now
    ).values_list("id", flat=True):
        with transaction.atomic():
            checkout = Checkout.objects.select_for_update().get(pk=checkout_id)
            _release(checkout, now)
            count += 1
    return count
