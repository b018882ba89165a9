"""Local stand-ins for the cluster profile's services (S3, PostgreSQL), started on 127.0.0.1.

Used by the cluster tests, the profile benchmark and ``python -m infra.cluster``; production
points the same settings at real services instead (docs/scaling.md).
"""
