"""SQLAlchemy 2 adapters: one schema for SQLite, PostgreSQL and SQL Server."""
