"""The observatory's read-only HTTP API (FastAPI): see ``apps/api/app.py``."""
