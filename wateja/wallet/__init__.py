"""The wallet: a double-entry ledger of points, cashback and store credit (DESIGN.md §5)."""
