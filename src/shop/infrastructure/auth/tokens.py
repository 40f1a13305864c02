"""JWT access tokens: HS256 from a shared secret, or RS256 with a key pair.

The algorithm is pinned on decode, so `alg: none` and algorithm confusion
(an RS256 public key used as an HS256 secret) are refused.

Verified tokens are remembered per process (by the exact token string, until the
token's own `exp`, a few thousand at most): every authenticated request sends the
same token again, and decoding plus verifying it cost about as much as a whole
cached product read. Only the signature check is skipped on a hit: whether the
account is still active (disabled since the token was issued) is asked by the
guards on every request (`AccountStatus`), never remembered here.
"""

from __future__ import annotations

import logging
import os
import secrets
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

import jwt

from shop.application.customers.views import AccessToken
from shop.application.ports import Clock
from shop.application.shared import Principal
from shop.domain.customers.values import Role
from shop.domain.shared.errors import Unauthenticated
from shop.settings import Settings

log = logging.getLogger("shop.auth")

ISSUER = "shop"
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "role", "jti", "iss"]
MAX_CACHED_TOKENS: Final = 4096
"""Verified tokens kept per process; the least recently used goes first beyond it."""
_INVALID: Final = "the access token is missing, invalid or expired"


class JwtTokenService:
    def __init__(self, *, algorithm: str, signing_key: str, verification_key: str,
                 ttl: timedelta, clock: Clock, max_cached: int = MAX_CACHED_TOKENS) -> None:
        if algorithm not in {"HS256", "RS256"}:
            raise ValueError(f"unsupported JWT algorithm {algorithm!r}: use HS256 or RS256")
        self._algorithm = algorithm
        self._signing_key = signing_key
        self._verification_key = verification_key
        self._ttl = ttl
        self._clock = clock
        self._max_cached = max_cached
        self._verified: OrderedDict[str, tuple[Principal, float]] = OrderedDict()
        """token string -> (its principal, its `exp` as a POSIX timestamp)."""

    @property
    def cached_tokens(self) -> int:
        """How many verified tokens this process remembers (bounded by `max_cached`)."""
        return len(self._verified)

    def issue_access(self, principal: Principal) -> AccessToken:
        now = self._clock.now()
        claims = {
            "iss": ISSUER,
            "sub": str(principal.customer_id),
            "role": principal.role.value,
            "iat": int(now.timestamp()),
            "exp": int((now + self._ttl).timestamp()),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._signing_key, algorithm=self._algorithm)
        return AccessToken(token=token, expires_in=int(self._ttl.total_seconds()))

    def read_access(self, token: str) -> Principal:
        now = self._clock.now().timestamp()
        known = self._verified.get(token)
        if known is not None:
            principal, expires = known
            if now < expires:
                self._verified.move_to_end(token)
                return principal
            self._verified.pop(token, None)
            raise Unauthenticated(_INVALID)
        principal, expires = self._verify(token)
        if now >= expires:  # the service's clock decides, as it does for cached tokens
            raise Unauthenticated(_INVALID)
        if self._max_cached > 0:
            self._verified[token] = (principal, expires)
            while len(self._verified) > self._max_cached:
                self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, float]:
        """Signature, algorithm, issuer and required claims: raises unless all hold."""
        try:
            claims = jwt.decode(
                token, self._verification_key, algorithms=[self._algorithm], issuer=ISSUER,
                options={"require": _REQUIRED_CLAIMS},
            )
            expires = int(claims["exp"])
            principal = Principal(customer_id=uuid.UUID(claims["sub"]), role=Role(claims["role"]),
                                  expires_at=datetime.fromtimestamp(expires, UTC))
        except (jwt.PyJWTError, ValueError, KeyError, TypeError, OverflowError, OSError):
            raise Unauthenticated(_INVALID) from None
        return principal, float(expires)


def build_token_service(settings: Settings, clock: Clock) -> JwtTokenService:
    ttl = timedelta(seconds=settings.access_token_ttl_seconds)
    if settings.jwt_algorithm == "RS256":
        if not settings.jwt_private_key_file or not settings.jwt_public_key_file:
            raise ValueError("RS256 needs SHOP_JWT_PRIVATE_KEY_FILE and SHOP_JWT_PUBLIC_KEY_FILE")
        return JwtTokenService(
            algorithm="RS256",
            signing_key=Path(settings.jwt_private_key_file).read_text(),
            verification_key=Path(settings.jwt_public_key_file).read_text(),
            ttl=ttl, clock=clock,
        )
    secret = jwt_secret(settings)
    return JwtTokenService(algorithm="HS256", signing_key=secret, verification_key=secret,
                           ttl=ttl, clock=clock)


def jwt_secret(settings: Settings) -> str:
    """The configured secret, or one generated once per data directory and kept there.

    Never a hard-coded value: without SHOP_JWT_SECRET each data directory gets
    its own random secret (file mode 0600), which every process sharing that
    directory uses. Deployments across hosts must set SHOP_JWT_SECRET.
    """
    if settings.jwt_secret:
        if len(settings.jwt_secret) < 32:
            raise ValueError("SHOP_JWT_SECRET must be at least 32 characters")
        return settings.jwt_secret
    path = settings.data_dir / "jwt-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_suffix(f".{uuid.uuid4().hex}")
        candidate.write_text(secrets.token_urlsafe(48))
        candidate.chmod(0o600)
        try:
            os.link(candidate, path)  # atomic: exactly one process's secret wins
        except FileExistsError:
            pass  # another process made it first; use theirs
        finally:
            candidate.unlink()
        log.warning("SHOP_JWT_SECRET is not set: generated a signing secret in %s "
                    "(set SHOP_JWT_SECRET when several hosts serve the shop)", path)
    return path.read_text().strip()
