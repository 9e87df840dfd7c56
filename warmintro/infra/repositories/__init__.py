"""SQL implementations of the domain's repository ports (SQLAlchemy Core)."""
