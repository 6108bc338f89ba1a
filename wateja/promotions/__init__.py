"""Promotions: programs' offers, promo codes, budgets, tiers and referrals, stored and turned
into the pure rules engine's Promotion values."""
