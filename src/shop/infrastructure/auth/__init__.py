"""Credentials and tokens: Argon2id passwords, JWT access tokens, login throttling."""
