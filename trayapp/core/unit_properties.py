"""One unit property as StartTransientUnit takes it: (name, D-Bus signature, value).

Its own module, so that the planners (core/plans.py) and the proxy's unit
properties (core/proxy.py) share it without importing each other."""

from __future__ import annotations

Property = tuple[str, str, object]
