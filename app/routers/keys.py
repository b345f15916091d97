"""``/v1/keys``: API key management for admin keys."""

from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from app.auth import Principal, Scope
from app.deps import WriteSession, get_principal, reading, require, require_json_body
from app.json_body import StrictJSONRoute
from app.models import ApiKey
from app.schemas.key import KeyCreate, KeyCreated, KeyList, KeyRead
from app.schemas.problem import PROBLEM_RESPONSES
from app.services import keys


async def get_admin(request: Request) -> Principal:
    return require(await get_principal(request), Scope.ADMIN)


router = APIRouter(
    prefix="/v1/keys",
    route_class=StrictJSONRoute,
    tags=["keys"],
    dependencies=[Depends(get_admin)],
    responses=PROBLEM_RESPONSES,
)


def _read(record: ApiKey, **extra: Any) -> dict[str, Any]:
    return {
        "name": record.name,
        "scopes": record.scopes.split(","),
        "created_at": record.created_at,
        "expires_at": record.expires_at,
        "last_used_at": record.last_used_at,
        "revoked_at": record.revoked_at,
        **extra,
    }


@router.get("", response_model=KeyList, summary="List API keys")
def list_keys(request: Request) -> KeyList:
    """Every key with its scopes and times; never the secrets."""
    with reading(request) as session:
        return KeyList(items=[KeyRead.model_validate(_read(r)) for r in keys.get_all(session)])


@router.post(
    "",
    status_code=201,
    response_model=KeyCreated,
    summary="Create an API key",
    dependencies=[Depends(require_json_body)],
)
def create_key(body: KeyCreate, session: WriteSession) -> KeyCreated:
    """The response holds the key itself, shown this once."""
    record, secret = keys.create(
        session, name=body.name, scopes=set(body.scopes), expires_at=body.expires_at
    )
    return KeyCreated.model_validate(_read(record, key=secret))


@router.delete("/{name}", status_code=204, summary="Revoke an API key")
def revoke_key(name: str, session: WriteSession) -> Response:
    """The key stops working at once; its record stays, marked revoked."""
    keys.revoke(session, name=name)
    return Response(status_code=204)
