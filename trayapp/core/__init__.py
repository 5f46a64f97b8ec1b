"""The pure core: daemon model, table and named events, the ledger of our
actions, plans, idle rules, notification decisions, settings, history totals.
Only the standard library (import-linter checks it); no I/O; mypy strict."""
