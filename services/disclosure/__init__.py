"""Disclosure rules: the policy as data, the one decision function, and the enforcement point.

Pure: standard library, pydantic and `schemas` only. Every egress (console, per-agency
feeds, exports) calls `enforce.view_operation` / `decide`, never its own logic.
"""
