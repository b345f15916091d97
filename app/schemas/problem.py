"""RFC 9457 problem details, as every error is served."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.errors import PROBLEM_MEDIA_TYPE


class FieldError(BaseModel):
    loc: list[str | int] = Field(description='Path to the bad field, e.g. ["body", "title"].')
    msg: str


class Problem(BaseModel):
    """Extension members (e.g. ``existing_id`` on a 409) stand beside the standard ones."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    errors: list[FieldError] | None = None


# For routes' ``responses=``: the error statuses, documented as problem documents.
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": Problem, "content": {PROBLEM_MEDIA_TYPE: {}}}
    for code in (400, 401, 403, 404, 409, 412, 413, 415, 422, 429, 503, 507)
}
