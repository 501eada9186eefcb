# The portal's one image. docker-compose.yml runs it four ways: the one-shot `migrate` job,
# `web` (gunicorn), `worker` and `beat` (Celery).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PORTAL_VAR_DIR=/var/lib/portal

# WeasyPrint lays text out with Pango and HarfBuzz (libharfbuzz-subset0 embeds font subsets in
# the PDFs); fonts-noto-cjk gives documents their Chinese glyphs; gettext is for compilemessages.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk gettext \
 && rm -rf /var/lib/apt/lists/*

# A home directory gives fontconfig somewhere to keep its per-user cache.
RUN groupadd --system --gid 10001 portal \
 && useradd --system --uid 10001 --gid portal --create-home --home-dir /home/portal \
      --shell /usr/sbin/nologin portal

WORKDIR /app

# Dependencies get their own layer, so a code change does not reinstall them.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .
# Editable, because settings find templates, static and locale beside the code (BASE_DIR is
# derived from portal/settings.py) and a wheel would not carry them: the code runs from /app.
RUN pip install --no-deps -e .

# Static files are collected into the image, not into a volume, so each release serves exactly
# its own files and manifest (STATIC_MANIFEST=1 refuses to start without them). The SECRET_KEY
# is random and thrown away: nothing is signed at build time. The REDIS_URL is never contacted;
# it only stops settings from creating the filesystem-broker folders in the image.
# Keys are generated on first use into $PORTAL_VAR_DIR/keys; one made now would ship inside the
# image, so the build fails instead. The run-time folders are created afterwards, owned by the
# app user, so that the named volumes mounted on them start with that ownership.
RUN export SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
           STATIC_MANIFEST=1 \
           REDIS_URL=redis://unused.invalid:6379/0 \
 && python manage.py collectstatic --noinput \
 && if [ -n "$(find . -name '*.po' -path '*/locale/*' -print -quit)" ]; then \
      python manage.py compilemessages; \
    fi \
 && if [ -e "$PORTAL_VAR_DIR/keys" ]; then \
      echo "the build created $PORTAL_VAR_DIR/keys: no key may be baked into the image" >&2; exit 1; \
    fi \
 && chown portal:portal "$PORTAL_VAR_DIR" \
 && install -d -o portal -g portal -m 0750 "$PORTAL_VAR_DIR/media" "$PORTAL_VAR_DIR/audit-seals" \
 && install -d -o portal -g portal -m 0700 "$PORTAL_VAR_DIR/keys"

USER portal
EXPOSE 8000
CMD ["gunicorn", "portal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
