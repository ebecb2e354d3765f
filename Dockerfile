# syntax=docker/dockerfile:1
# Payjaro production image: gunicorn (web), Celery worker and beat all run from it (see docker-compose.yml).

# --- builder: compilers and headers, a virtualenv with every runtime dependency ------------------------
FROM python:3.11-slim AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential libpq-dev \
    && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"
COPY requirements.txt /tmp/requirements.txt
RUN pip install --upgrade pip \
    && pip install -r /tmp/requirements.txt

# --- runtime: the slim image, the virtualenv and the code; no compilers, no package caches ---------------
FROM python:3.11-slim AS runtime

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_ENVIRONMENT=production \
    PORT=8000

# No extra system packages: the psycopg-binary and Pillow wheels bundle their libraries.
RUN groupadd --system --gid 10001 payjaro \
    && useradd --system --uid 10001 --gid payjaro --home-dir /app --no-create-home --shell /usr/sbin/nologin payjaro

WORKDIR /app
COPY --from=builder /opt/venv /opt/venv
# The code belongs to root (read-only for the app user); only media/ and staticfiles/ are writable.
COPY . /app

# Static files are collected at build time (hashed names + gzip, served by whitenoise and nginx).
# Production settings insist on real secrets: the build gets throwaway values that never reach a container.
RUN SECRET_KEY="build-only-$(python -c 'import secrets; print(secrets.token_urlsafe(48))')" \
        DATABASE_URL="postgres://build:build@localhost:5432/build" \
        REDIS_URL="redis://localhost:6379/0" \
        ALLOWED_HOSTS="localhost" \
        PAYMENTS_SANDBOX="true" \
        python manage.py collectstatic --noinput \
    && mkdir -p /app/media \
    && chown -R payjaro:payjaro /app/media /app/staticfiles \
    && python -m compileall -q /app -x '/app/(media|staticfiles)/'

USER payjaro
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "scripts/healthcheck.py"]

CMD ["gunicorn", "--config", "gunicorn.conf.py", "payjaro_project.wsgi:application"]
