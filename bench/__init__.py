"""Benchmarks: they print figures beside a floor measured in the same run, never pass/fail on time."""
