"""Great Expectations suites, one module per mart, named after the mart.

Each module exposes ``expectations() -> list[gx.expectations.Expectation]``. The gate
(:mod:`quality.gate`) runs them as a blocking check before anything is published.
"""
