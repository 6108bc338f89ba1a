"""Pure domain code: money, ledger arithmetic, rules engine, metrics. Imports no Django."""
