FROM python:3.11-slim
WORKDIR /app
COPY requirements.lock ./
RUN pip install --no-cache-dir --require-hashes -r requirements.lock
COPY pyproject.toml README.md alembic.ini ./
COPY warmintro ./warmintro
RUN pip install --no-cache-dir --no-deps .
# The service runs as a user of its own, who owns nothing in the image but /data
# (where an embedded SQLite database goes when DATABASE_URL names no other).
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin warmintro \
    && mkdir /data && chown warmintro /data
USER warmintro
ENV PYTHONUNBUFFERED=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/warmintro.db
EXPOSE 8000
CMD ["warmintro", "serve", "--host", "0.0.0.0", "--port", "8000"]
