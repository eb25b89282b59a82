# syntax=docker/dockerfile:1
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY matching ./matching
RUN /venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 coffee
COPY --from=build /venv /venv
WORKDIR /app
COPY alembic.ini ./
COPY migrations ./migrations
COPY bot ./bot
COPY matching ./matching
RUN mkdir -p /data && chown coffee /data
USER coffee
ENV PATH="/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    DATABASE_URL="sqlite+aiosqlite:////data/coffee.db"
VOLUME ["/data"]
# `python -m bot` applies the Alembic migrations, then starts long polling.
CMD ["python", "-m", "bot"]
