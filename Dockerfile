# The shop API image: `docker compose up` runs it against PostgreSQL and Redis.
# The `mssql` target adds Microsoft's ODBC Driver 18 for SQL Server (from the PyPI
# package that ships its binaries) registered with unixODBC, for
# `docker compose --profile mssql up`.
FROM python:3.11-slim AS base
WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install --no-cache-dir .
ENV SHOP_LOG_FORMAT=json
EXPOSE 8000
CMD ["sh", "-c", "shop migrate && shop serve --host 0.0.0.0 --port 8000 --workers 2"]

FROM base AS mssql
RUN apt-get update \
    && apt-get install -y --no-install-recommends unixodbc odbcinst libgssapi-krb5-2 \
    && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir ".[mssql]" "mssql-python-odbc==18.6.2.2"
# Register the bundled driver under the name SQLAlchemy URLs use (`driver=ODBC Driver 18
# for SQL Server`); its resource files sit beside it in the package, where it looks.
RUN driver="$(python -c 'import pathlib, mssql_python_odbc as m; print(next(pathlib.Path(m.__file__).parent.glob("libs/linux/debian_ubuntu/x86_64/lib/libmsodbcsql-18*.so*")))')" \
    && printf '[ODBC Driver 18 for SQL Server]\nDescription=Microsoft ODBC Driver 18 for SQL Server\nDriver=%s\nUsageCount=1\n' "$driver" > /etc/odbcinst.ini \
    && odbcinst -q -d -n "ODBC Driver 18 for SQL Server"

FROM base
