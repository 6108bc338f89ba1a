"""Rules engine throughput: 20-line carts against 1,000 active promotions, beside 10.

    .venv/bin/python benchmarks/rules.py --seconds 5
    .venv/bin/python benchmarks/rules.py --products 2000 --categories 100   # a denser mix

Builds a catalogue (10,000 products in 400 categories by default: a supermarket, the kind of
business that runs 1,000 promotions at once) and 1,000 active promotions of mixed types, as such
a business has them: most on a few products or on a category (item and volume discounts,
bundles, category points multipliers), about a quarter reachable only by promo code, and 20
general ones (base earn rule, double points on Tuesdays, cashback, second-purchase discount,
members' offers, tiers, referral, birthday, gift by weight, own cup, next-order coupon, thank-you
message...). The customer is a busy one: a silver-tier member on a second visit, with a birthday
this week and a converted referral, so most general offers apply to every cart. Then, on one
core, it measures:

  (a) evaluations per second of `evaluate` with a `PromotionIndex` of the 1,000 (target
      >= 5,000/s), cycling over 64 different 20-line carts, one in four with a code entered;
  (b) the same with an index of only 10 of the general promotions: the baseline;
  (c) for information, the 1,000 passed as a plain list (every one compiled and checked).

and prints (a), (b), the ratio of time per evaluation (a)/(b) (target <= 5) and (c). No Django.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import sys
import time
import zoneinfo
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rounds import interleave, median_rate, median_ratio  # noqa: E402  (benchmarks/rounds.py)

from wateja.core.rules import (  # noqa: E402
    Cart,
    Context,
    CustomerFacts,
    Evaluation,
    Line,
    Promotion,
    evaluate,
)
from wateja.core.rules.index import PromotionIndex  # noqa: E402
from wateja.core.rules.model import Budget, Schedule  # noqa: E402

TZ = "Africa/Nairobi"
NOW = dt.datetime(2026, 3, 10, 12, 30, tzinfo=zoneinfo.ZoneInfo(TZ))  # a Tuesday
PRODUCTS = 10_000  # a supermarket-sized catalogue (--products)
CATEGORIES = 400
LINES = 20
CARTS = 64
TARGET_RATE = 5000
TARGET_RATIO = 5.0


def catalogue(
    rng: random.Random, products: int = PRODUCTS, categories: int = CATEGORIES
) -> list[tuple[str, str, int, int]]:
    """(sku, category, unit price in minor units, grams) per product."""
    return [
        (
            f"SKU{n:05d}",
            f"CAT{n % categories:03d}",
            rng.randrange(5, 500) * 100,
            rng.choice((0, 100, 250, 500, 1000)),
        )
        for n in range(products)
    ]


def general_promotions() -> list[Promotion]:
    """The 20 promotions every cart meets (no sku, category or code needed)."""
    members = {"audience": "members"}
    specs: list[tuple[str, dict[str, object], dict[str, object]]] = [
        ("points_per_amount", {"points": 1, "per_amount_minor": 10000}, {}),
        (
            "points_multiplier",
            {"multiplier_bp": 20000},
            {"schedule": Schedule(weekdays=frozenset({1}))},
        ),
        ("cashback_percent", {"percent_bp": 200}, members),
        (
            "percent_off_order",
            {"percent_bp": 1500},
            {
                "conditions": {
                    "all": [
                        {"type": "nth_purchase", "n": 2},
                        {"type": "within_days_of_first_purchase", "days": 7},
                    ]
                },
                "exclusive_group": "welcome",
            },
        ),
        (
            "percent_off_order",
            {"percent_bp": 3000},
            {**members, "stackable": False, "schedule": Schedule(weekdays=frozenset({4}))},
        ),
        ("tier_discount", {"tiers": {"gold": 1000, "silver": 500}}, {"priority": -1}),
        ("referral_reward", {"steps": [[1, 1000], [3, 2000], [5, 3000]]}, {}),
        (
            "bonus_points",
            {"points": 500},
            {"conditions": {"type": "birthday_within_days", "days": 3}},
        ),
        (
            "gift",
            {"description": "A pack of coffee", "sku": "GIFT-COFFEE"},
            {"conditions": {"type": "min_weight", "grams": 1200}},
        ),
        (
            "amount_off_order",
            {"amount_minor": 20000},
            {
                "conditions": {"type": "min_subtotal", "amount_minor": 300000},
                "exclusive_group": "welcome",
            },
        ),
        (
            "free_item",
            {"sku": "SKU00001", "quantity": 1, "value_minor": 25000},
            {"conditions": {"type": "nth_visit_every", "n": 5}},
        ),
        (
            "next_order_coupon",
            {"percent_bp": 1000, "valid_days": 30, "min_subtotal_minor": 50000},
            {"conditions": {"type": "min_subtotal", "amount_minor": 200000}},
        ),
        (
            "message",
            {"template": "thanks_second_visit"},
            {"conditions": {"type": "nth_purchase", "n": 2}},
        ),
        (
            "percent_off_order",
            {"percent_bp": 500},
            {"conditions": {"type": "flag", "name": "own_cup"}},
        ),
        (
            "percent_off_order",
            {"percent_bp": 1000},
            {"conditions": {"type": "days_since_last_purchase_gte", "days": 60}},
        ),
        (
            "bonus_points",
            {"points": 50},
            {"conditions": {"type": "time_between", "from_hour": 7, "to_hour": 10}},
        ),
        ("percent_off_order", {"percent_bp": 800}, {"channels": frozenset({"online"})}),
        ("amount_off_order", {"amount_minor": 5000}, {"budget": Budget(amount_left_minor=2000)}),
        (
            "bonus_points",
            {"points": 100},
            {"conditions": {"type": "card_anniversary_within_days", "days": 3}},
        ),
        (
            "cashback_percent",
            {"percent_bp": 100},
            {"audience": "tier", "audience_values": frozenset({"gold"})},
        ),
    ]
    out = []
    for n, (kind, params, fields) in enumerate(specs, start=1):
        out.append(Promotion(id=n, name=f"general {n}", type=kind, params=params, **fields))
    return out


def scoped_promotion(
    pid: int, rng: random.Random, products: Sequence[tuple[str, str, int, int]]
) -> Promotion:
    """A promotion of a real catalogue: on a few products, a category, or behind a code."""
    roll = rng.random()
    skus = [rng.choice(products)[0] for _ in range(rng.randint(1, 3))]
    category = rng.choice(products)[1]
    priority = rng.choice((0, 0, 0, 1, 2))
    group = rng.choice(("", "", "", "", "brand-a", "brand-b"))
    if roll < 0.23:
        code = f"CODE{pid:04d}"
        kind, params = rng.choice(
            [
                ("amount_off_order", {"amount_minor": rng.randrange(1, 50) * 1000}),
                ("percent_off_order", {"percent_bp": rng.randrange(5, 30) * 100}),
            ]
        )
        conditions = {"type": "min_subtotal", "amount_minor": rng.randrange(0, 30) * 10000 + 1}
        return Promotion(pid, f"code {pid}", kind, params, conditions, priority, code=code)
    if roll < 0.38:
        kind, params = rng.choice(
            [
                (
                    "percent_off_items",
                    {"percent_bp": rng.randrange(5, 40) * 100, "categories": [category]},
                ),
                (
                    "points_multiplier",
                    {"multiplier_bp": rng.choice((15000, 20000, 30000)), "categories": [category]},
                ),
                (
                    "volume_discount",
                    {
                        "min_quantity": rng.randint(2, 6),
                        "categories": [category],
                        "percent_bp": 1000,
                    },
                ),
            ]
        )
        return Promotion(pid, f"category {pid}", kind, params, None, priority, group)
    kind, params = rng.choice(
        [
            ("percent_off_items", {"percent_bp": rng.randrange(5, 50) * 100, "skus": skus}),
            ("amount_off_items", {"amount_minor": rng.randrange(1, 20) * 500, "skus": skus}),
            (
                "volume_discount",
                {
                    "min_quantity": rng.randint(2, 5),
                    "skus": skus[:1],
                    "unit_price_minor": rng.randrange(5, 100) * 100,
                },
            ),
            (
                "bundle",
                {"sets": [{"skus": [*skus[:2], rng.choice(products)[0]], "percent_bp": 2000}]},
            ),
        ]
    )
    stackable = rng.random() > 0.05
    return Promotion(
        pid,
        f"item {pid}",
        kind,
        params,
        None,
        priority,
        group,
        stackable,
        max_discount_minor=rng.choice((None, None, 50000)),
    )


def build_carts(rng: random.Random, products: Sequence[tuple[str, str, int, int]]) -> list[Cart]:
    carts = []
    for _ in range(CARTS):
        picked = rng.sample(range(len(products)), LINES)
        lines = tuple(
            Line(
                sku=products[n][0],
                quantity=rng.choice((1, 1, 1, 2, 3, 6)),
                unit_price_minor=products[n][2],
                category=products[n][1],
                weight_grams=products[n][3],
            )
            for n in picked
        )
        carts.append(Cart("KES", lines))
    return carts


def measure(call: Callable[[int], Evaluation], seconds: float) -> tuple[float, int]:
    """Evaluations per second over at least ``seconds``."""
    for i in range(50):  # warm up
        call(i)
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for _ in range(100):
            call(count)
            count += 1
        now = time.perf_counter()
        if now >= deadline:
            return count / (now - started), count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds per measurement")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (median)")
    parser.add_argument("--seed", type=int, default=20260310)
    parser.add_argument("--products", type=int, default=PRODUCTS, help="catalogue size")
    parser.add_argument("--categories", type=int, default=CATEGORIES)
    args = parser.parse_args(argv)

    rng = random.Random(args.seed)
    products = catalogue(rng, args.products, args.categories)
    general = general_promotions()
    promotions = general + [
        scoped_promotion(pid, rng, products) for pid in range(len(general) + 1, 1001)
    ]
    codes = [p.code for p in promotions if p.code]
    carts = build_carts(rng, products)
    contexts = [
        Context(now=NOW, timezone=TZ, codes=(rng.choice(codes),) if i % 4 == 0 else ())
        for i in range(CARTS)
    ]
    customer = CustomerFacts(
        id=1,
        tier="silver",
        purchase_count=1,
        first_purchase_at=NOW - dt.timedelta(days=3),
        last_purchase_at=NOW - dt.timedelta(days=3),
        birth_month=3,
        birth_day=12,
        card_issued_at=NOW - dt.timedelta(days=400),
        referrals_converted=1,
    )

    started = time.perf_counter()
    big = PromotionIndex(promotions)
    build_ms = (time.perf_counter() - started) * 1000
    small = PromotionIndex(general[:10])

    def with_index(index: PromotionIndex) -> Callable[[int], Evaluation]:
        def call(i: int) -> Evaluation:
            k = i % CARTS
            return evaluate(carts[k], customer, index, contexts[k])

        return call

    def with_list(i: int) -> Evaluation:
        k = i % CARTS
        return evaluate(carts[k], customer, promotions, contexts[k])

    candidates = [len(big.candidates(carts[k], contexts[k])) for k in range(CARTS)]
    sample = [with_index(big)(k) for k in range(CARTS)]
    applied = sum(len(e.applied) for e in sample) / CARTS
    rejected = sum(len(e.rejected) for e in sample) / CARTS

    # (a), (b) and (c) in turn, --rounds times; each figure is the median over the rounds and
    # the ratio the median of the per-round ratios
    def timed(call: Callable[[int], Evaluation], seconds: float) -> Callable[[int], dict]:
        def run(_round: int) -> dict:
            rate, count = measure(call, seconds)
            return {"rate": rate, "count": count}

        return run

    found = interleave(
        {
            "(a) 1,000 indexed": timed(with_index(big), args.seconds),
            "(b) 10 indexed": timed(with_index(small), args.seconds),
            "(c) 1,000 listed": timed(with_list, max(1.0, args.seconds / 3)),
        },
        args.rounds,
    )
    big_runs, small_runs, list_runs = found.values()
    rate_big, n_big = median_rate(big_runs), sum(r["count"] for r in big_runs)
    rate_small, n_small = median_rate(small_runs), sum(r["count"] for r in small_runs)
    rate_list, n_list = median_rate(list_runs), sum(r["count"] for r in list_runs)
    ratio = median_ratio(small_runs, big_runs)

    ok_rate = "ok" if rate_big >= TARGET_RATE else "MISSED"
    ok_ratio = "ok" if ratio <= TARGET_RATIO else "MISSED"
    print(
        f"rules engine benchmark (one core, no Django; Python {platform.python_version()} "
        f"at {sys.executable})"
    )
    print(
        f"  promotions: {len(promotions):,} active ({len(general)} general, "
        f"{len(codes)} code-only, the rest on skus or categories); index built in "
        f"{build_ms:.0f} ms"
    )
    print(
        f"  carts: {CARTS} x {LINES} lines from {len(products):,} products in "
        f"{args.categories} categories; 1 in 4 with a code"
    )
    print(
        f"  per cart: {sum(candidates) / CARTS:.1f} candidates, {applied:.1f} applied, "
        f"{rejected:.1f} rejected (avg)"
    )
    print(
        f"  (a) 1,000 promotions, indexed: {rate_big:>9,.0f} evaluations/s "
        f"({1e6 / rate_big:6.1f} us each, {n_big:,} runs)  target >= {TARGET_RATE:,}/s  "
        f"{ok_rate}"
    )
    print(
        f"  (b) 10 promotions, indexed:    {rate_small:>9,.0f} evaluations/s "
        f"({1e6 / rate_small:6.1f} us each, {n_small:,} runs)"
    )
    print(f"  time ratio (a)/(b): {ratio:.2f}  target <= {TARGET_RATIO:g}  {ok_ratio}")
    print(
        f"  (c) 1,000 promotions, plain list (no index): {rate_list:,.0f} evaluations/s "
        f"({1e6 / rate_list:,.0f} us each, {n_list:,} runs)"
    )
    return 0 if ok_rate == ok_ratio == "ok" else 1


if __name__ == "__main__":
    raise SystemExit(main())
