"""Property-based fuzzing of the live server from its own OpenAPI document (schemathesis):
no 5xx, and every response conforms to the documented status codes, media types and schemas
(errors included, which are documented as problem documents)."""

import re
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import KeyFactory
from tests.servers import running_server

SCHEMATHESIS = str(Path(sys.executable).with_name("schemathesis"))
CONFIG = str(Path(__file__).with_name("schemathesis.toml"))
CHECKS = (
    "not_a_server_error,status_code_conformance,content_type_conformance,"
    "response_schema_conformance,negative_data_rejection"
)
MIN_REQUESTS = 1000


def test_generated_requests_find_no_failure(
    database_url: str, client: TestClient, make_key: KeyFactory
) -> None:
    key = make_key("fuzzer", "admin")["Authorization"]
    with running_server(SITREP_DATABASE_URL=database_url) as base:
        result = subprocess.run(
            [
                SCHEMATHESIS,
                "--config-file",
                CONFIG,
                "run",
                f"{base}/openapi.json",
                "--checks",
                CHECKS,
                "--header",
                f"Authorization: {key}",
                "--max-examples",
                "80",
                "--seed",
                "7",
                "--no-color",
            ],
            capture_output=True,
            text=True,
            timeout=1200,
        )

    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated, output[-3000:]
    assert int(generated.group(1)) >= MIN_REQUESTS, output[-3000:]
