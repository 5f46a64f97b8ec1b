"""Infrastructure shared by the tests, the benchmark and the demo (not shipped in the wheel)."""
