"""API key shapes for ``/v1/keys``; a key's secret is shown once, when it is created."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from app.auth import Scope
from app.schemas.moment import UTCMoment
from app.services.keys import MAX_NAME_LENGTH, check_name


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: Annotated[str, AfterValidator(check_name)] = Field(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        description="Says who holds the key: printable characters, no `/`, not `.` or `..` "
        "(the key is revoked at `/v1/keys/{name}`).",
    )
    scopes: list[Scope] = Field(min_length=1, description="`admin` implies `write` and `read`.")
    expires_at: UTCMoment | None = None


class KeyRead(BaseModel):
    name: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class KeyCreated(KeyRead):
    key: str = Field(description="The secret; store it now, it is not shown again.")


class KeyList(BaseModel):
    items: list[KeyRead]
