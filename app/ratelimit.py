"""Rate limits per API key and per anonymous client IP, in process or shared through Redis.

The algorithm and storage come from the ``limits`` library (moving window). Responses
carry ``RateLimit-Limit``, ``RateLimit-Remaining`` and ``RateLimit-Reset``; a refused
request gets a 429 problem with ``Retry-After``.
"""

import hashlib
import logging
import math
import time

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.storage import storage_from_string
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError, problem_response

logger = logging.getLogger("sitrep")

# Probes, documentation and the explorer's static files are never limited.
EXEMPT_PREFIXES = (
    "/static/",
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/redoc",
    "/openapi.json",
    "/static-offline-docs",
)


class TooManyRequests(AppError):
    status, title, slug = 429, "Too many requests", "rate-limited"


def parse_limit(text: str) -> RateLimitItem:
    """``"120/minute"`` -> a limit; ValueError with the reason otherwise."""
    try:
        return parse(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a rate limit like '120/minute'") from None


class RateLimit:
    """ASGI middleware applying the anonymous and the per-key limit."""

    def __init__(
        self, app: ASGIApp, *, anonymous: str | None, keyed: str | None, redis_url: str | None
    ) -> None:
        self.app = app
        self.anonymous = parse_limit(anonymous) if anonymous else None
        self.keyed = parse_limit(keyed) if keyed else None
        uri = f"async+{redis_url}" if redis_url else "async+memory://"
        options = {"implementation": "redispy"} if redis_url else {}
        self.limiter = MovingWindowRateLimiter(storage_from_string(uri, **options))

    def _identify(self, scope: Scope) -> tuple[RateLimitItem | None, str, str | None]:
        """The limit that applies, whom it counts, and the bucket of failed keys (if keyed)."""
        headers = Headers(scope=scope)
        authorization = headers.get("authorization", "")
        key = authorization.partition(" ")[2].strip() or headers.get("x-api-key")
        client = scope.get("client")
        ip = client[0] if client else "unknown"
        if key:
            digest = hashlib.sha256(key.encode()).hexdigest()[:32]
            return self.keyed, f"key:{digest}", f"failed-key:{ip}"
        return self.anonymous, "ip:" + ip, None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(EXEMPT_PREFIXES):
            await self.app(scope, receive, send)
            return
        limit, who, failures = self._identify(scope)
        if failures and self.anonymous:
            # Made-up keys must not escape the anonymous limit: each 401 a client's IP
            # earns counts against that limit, and once it is spent keys from the IP wait.
            if not await self._allowed(self.anonymous, failures, hit=False):
                await self._refuse(self.anonymous, failures, scope, receive, send)
                return
            send = self._counting_failures(send, failures)
        if limit is None:
            await self.app(scope, receive, send)
            return
        try:
            allowed = await self.limiter.hit(limit, who)
            stats = await self.limiter.get_window_stats(limit, who)
        except Exception as exc:  # the limiter's store is down: serve rather than refuse
            logger.warning("rate limiter unavailable: %s", type(exc).__name__)
            await self.app(scope, receive, send)
            return
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        headers = [
            (b"ratelimit-limit", str(limit.amount).encode()),
            (b"ratelimit-remaining", str(stats.remaining).encode()),
            (b"ratelimit-reset", str(reset).encode()),
        ]
        if not allowed:
            await self._refuse(limit, who, scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *headers]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _allowed(self, limit: RateLimitItem, who: str, *, hit: bool) -> bool:
        try:
            if hit:
                return await self.limiter.hit(limit, who)
            return await self.limiter.test(limit, who)
        except Exception as exc:  # the limiter's store is down: serve rather than refuse
            logger.warning("rate limiter unavailable: %s", type(exc).__name__)
            return True

    def _counting_failures(self, send: Send, failures: str) -> Send:
        assert self.anonymous is not None
        anonymous = self.anonymous

        async def send_counting(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 401:
                await self._allowed(anonymous, failures, hit=True)
            await send(message)

        return send_counting

    async def _refuse(
        self, limit: RateLimitItem, who: str, scope: Scope, receive: Receive, send: Send
    ) -> None:
        stats = await self.limiter.get_window_stats(limit, who)
        reset = max(1, math.ceil(stats.reset_time - time.time()))
        refused = problem_response(
            TooManyRequests(
                f"More than {limit.amount} requests per {limit.GRANULARITY.name}; "
                f"retry in {reset} s.",
                headers={"Retry-After": str(reset)},
            )
        )
        refused.raw_headers.extend(
            [
                (b"ratelimit-limit", str(limit.amount).encode()),
                (b"ratelimit-remaining", b"0"),
                (b"ratelimit-reset", str(reset).encode()),
            ]
        )
        await refused(scope, receive, send)
