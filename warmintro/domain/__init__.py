"""The warmintro domain: the intro-request aggregate, its rules, ports and use cases.

Standard library only; enforced by the import-linter contract in pyproject.toml.
"""
