"""warmintro: double opt-in warm introductions as a service."""

__version__ = "0.1.0"
