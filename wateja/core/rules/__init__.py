"""The rules engine: `evaluate(cart, customer, promotions, context)` is a pure function that
returns every effect of the promotions that apply and, for each that does not, a typed reason.

Layout: `model.py` holds the value types (the engine's whole interface); `conditions.py` the
composable conditions; `benefits.py` the benefit strategies registered by type; `engine.py`
stacking, budgets, caps and exact allocation; `index.py` picks the promotions a cart can
trigger so 1,000 active promotions cost little more than 10.
"""

from wateja.core.rules.engine import evaluate
from wateja.core.rules.model import (
    AppliedPromotion,
    Cart,
    Context,
    CustomerFacts,
    Effect,
    EffectKind,
    Evaluation,
    Line,
    Promotion,
    Rejection,
)

__all__ = [
    "AppliedPromotion",
    "Cart",
    "Context",
    "CustomerFacts",
    "Effect",
    "EffectKind",
    "Evaluation",
    "Line",
    "Promotion",
    "Rejection",
    "evaluate",
]
