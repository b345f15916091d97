# The explorer's libraries, from npm (the image serves them; nothing comes from a CDN).
FROM node:20-slim AS explorer
WORKDIR /build
COPY app/explorer/package.json app/explorer/package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    SITREP_DATABASE_URL=sqlite:////data/sitrep.db \
    SITREP_GAZETTEER_PATH=/srv/sitrep/gazetteer.sqlite

WORKDIR /srv/sitrep
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY --from=explorer /build/node_modules ./app/explorer/node_modules
COPY migrations ./migrations
# Editable install: the migrations are found beside the app package.
RUN pip install -e . \
    && python -c "from app.config import Settings; from app.geo.gazetteer import Gazetteer; Gazetteer(Settings().gazetteer_path)" \
    && useradd --system --uid 10001 --home-dir /srv/sitrep sitrep \
    && mkdir /data && chown sitrep /data

USER sitrep
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
CMD ["sitrep", "serve", "--host", "0.0.0.0", "--port", "8000"]
