# Shortcuts; each target is one of the scripts README.md documents.
.PHONY: run test lint format lock openapi

run:        ## the API on http://127.0.0.1:8000 with SQLite
	./scripts/run

test:       ## the whole suite (SQLite and PostgreSQL)
	./scripts/test

lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check . && .venv/bin/mypy && .venv/bin/lint-imports

format:
	.venv/bin/ruff format . && .venv/bin/ruff check --fix .

lock:       ## re-resolve the lock files after changing pyproject.toml (needs uv)
	uv pip compile pyproject.toml --universal --python-version 3.11 --generate-hashes -o requirements.lock
	uv pip compile pyproject.toml --extra dev --universal --python-version 3.11 --generate-hashes -o requirements-dev.lock

openapi:    ## rewrite openapi/openapi.json from the app
	.venv/bin/warmintro openapi
