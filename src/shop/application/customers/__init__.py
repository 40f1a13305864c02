"""Customer use cases: registration, login with rotating refresh tokens, profiles."""
