"""RFC 9457 problem details, as every error is served."""

from pydantic import BaseModel, ConfigDict, Field


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
