# syntax=docker/dockerfile:1
# Stage 1: fetch the pinned front-end assets from npm.
FROM node:20-slim AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund

# Stage 2: the application.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 ENVIRONMENT=production HOST=0.0.0.0 PORT=8000
RUN useradd --create-home --uid 10001 forum
WORKDIR /app
COPY pyproject.toml README.md alembic.ini ./
COPY app ./app
COPY migrations ./migrations
COPY templates ./templates
COPY static ./static
# Editable, so the app finds templates/, static/ and migrations/ beside its code in /app.
RUN pip install --no-cache-dir -e .
COPY --from=assets /build/node_modules/htmx.org/dist/htmx.min.js ./static/vendor/htmx.min.js
RUN mkdir -p /app/var && chown forum:forum /app/var
USER forum
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
  CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"
CMD ["sh", "-c", "forum migrate && exec forum serve --host \"$HOST\" --port \"$PORT\" --workers \"${WEB_CONCURRENCY:-2}\""]
