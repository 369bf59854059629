"""Deployment tooling: the local runner, topic list, policy files and compose support."""
