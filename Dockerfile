# The shop API image: `docker compose up` runs it against PostgreSQL and Redis.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .
ENV SHOP_LOG_FORMAT=json
EXPOSE 8000
CMD ["sh", "-c", "shop migrate && shop serve --host 0.0.0.0 --port 8000 --workers 2"]
