"""Driven adapters: database, tokens, settings."""
