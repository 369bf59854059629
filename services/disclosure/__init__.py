"""Disclosure rules: the policy as data, the one decision function, and the enforcement point.

The core (`policy`, `decide`, `enforce`, `requests`) is pure: standard library, pydantic and
`schemas` only. Every egress (console, per-agency feeds, exports) calls `enforce` /
`decide`, never its own logic. `store`, `feeds` and `service` are the Postgres and Kafka
side of the feed process (`python -m services.disclosure`).
"""
