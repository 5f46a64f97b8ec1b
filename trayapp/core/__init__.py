"""The pure core: daemon model, classification, plans. No Qt, no D-Bus."""
