"""Open-data building blocks: generalisation (zones, closed periods), formats and release layout."""
