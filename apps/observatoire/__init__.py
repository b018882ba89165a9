"""Analysts' page: incidents by quartier and day, from the published gold mart."""
