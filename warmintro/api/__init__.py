"""Driving adapters: the HTTP API, the CLI, and the composition root."""
