# The image compose.yaml runs (scheduler and workers): provnews with PostgreSQL and Celery.
FROM python:3.12-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY crawler crawler
COPY pipelines pipelines
COPY storage storage
RUN pip install --no-cache-dir ".[postgres,workers]"
CMD ["provnews", "--help"]
