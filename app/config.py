"""Settings, read from the environment (prefix ``SITREP_``) or a ``.env`` file."""

from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from app.ratelimit import parse_limit


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SITREP_", env_file=".env", extra="ignore")

    database_url: str = "sqlite:///./sitrep.db"
    public_read: bool = True
    redis_url: str | None = None
    rate_limit_anon: str | None = Field(default=None, description="e.g. 120/minute per client IP")
    rate_limit_key: str | None = Field(default=None, description="e.g. 600/minute per API key")
    gazetteer_path: Path | None = Field(
        default=None, description="Where the gazetteer is built; default: the user's cache."
    )
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS."
    )

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            backend = make_url(value).get_backend_name()
        except ArgumentError:
            backend = None
        if backend not in ("sqlite", "postgresql"):
            raise ValueError(
                "not a SQLite or PostgreSQL database URL (e.g. sqlite:///./sitrep.db or "
                "postgresql://user@host:5432/sitrep)"
            )
        return value

    @field_validator("rate_limit_anon", "rate_limit_key")
    @classmethod
    def _rate_limit(cls, value: str | None) -> str | None:
        if value:
            parse_limit(value)
        return value or None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings; tests build their own ``Settings`` instead."""
    return Settings()
