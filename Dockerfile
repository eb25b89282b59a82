# syntax=docker/dockerfile:1
# The image installs the package (not the source tree): migrations ship inside it, the process runs as a
# non-root user in /data (the only writable place), and HEALTHCHECK asks the bot's own /healthz.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /venv
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY matching ./matching
COPY migrations ./migrations
RUN /venv/bin/pip install --no-cache-dir .

FROM python:3.11-slim
RUN useradd --create-home --uid 10001 coffee && mkdir -p /data && chown coffee /data
COPY --from=build /venv /venv
USER coffee
WORKDIR /data
ENV PATH="/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_URL="sqlite+aiosqlite:////data/coffee.db" \
    WEB_PORT=8080
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('WEB_PORT', '8080'), timeout=4)"
# `python -m bot` checks the settings, waits for the database, applies the migrations, then runs: long polling,
# or webhook mode when WEBHOOK_URL is set (the web server on WEB_PORT serves both the webhook and the probes).
CMD ["python", "-m", "bot"]
