"""With Redis configured, server processes share one rate-limit budget."""

import os

import httpx
import pytest
import redis

from tests.conftest import unavailable
from tests.servers import running_server

REDIS_ENV = "SITREP_TEST_REDIS_URL"


@pytest.fixture
def redis_url() -> str:
    url = os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379/0")
    client = redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as exc:
        unavailable(f"Redis tests skipped: cannot reach {url} ({REDIS_ENV}): {exc}")
    for key in client.scan_iter("LIMITS*"):
        client.delete(key)
    return url


def test_two_processes_share_one_anonymous_budget(
    redis_url: str, tmp_path: os.PathLike[str]
) -> None:
    env = {
        "SITREP_DATABASE_URL": f"sqlite:///{tmp_path}/shared.db",
        "SITREP_REDIS_URL": redis_url,
        "SITREP_RATE_LIMIT_ANON": "10/minute",
    }
    with running_server(**env) as first, running_server(**env) as second:
        statuses = [httpx.get(f"{base}/v1/events").status_code for base in [first, second] * 6]

    assert statuses == [200] * 10 + [429] * 2
