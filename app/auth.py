"""API keys: generation, hashing and the scopes a key grants."""

import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum

KEY_PREFIX = "sitrep_"


class Scope(StrEnum):
    READ = "read"
    WRITE = "write"
    ADMIN = "admin"


# A key's scopes include those below them: admin can write, write can read.
_IMPLIED = {Scope.ADMIN: {Scope.WRITE, Scope.READ}, Scope.WRITE: {Scope.READ}, Scope.READ: set()}


@dataclass(frozen=True)
class Principal:
    """Who is calling: a named key with its scopes, or the anonymous public."""

    name: str | None
    scopes: frozenset[Scope]

    def has(self, scope: Scope) -> bool:
        return scope in self.scopes

    @property
    def sees_unpublished(self) -> bool:
        return self.has(Scope.WRITE)


ANONYMOUS = Principal(name=None, scopes=frozenset())


def expand_scopes(scopes: set[Scope]) -> frozenset[Scope]:
    return frozenset(scopes.union(*(_IMPLIED[s] for s in scopes)))


def parse_scopes(text: str) -> set[Scope]:
    """``"read,write"`` -> scopes; raises ValueError naming an unknown one."""
    names = {part.strip() for part in text.split(",") if part.strip()}
    if not names:
        raise ValueError("give at least one scope: read, write or admin")
    try:
        return {Scope(name) for name in names}
    except ValueError:
        unknown = sorted(names - {s.value for s in Scope})
        raise ValueError(
            f"unknown scope {', '.join(unknown)}; expected read, write or admin"
        ) from None


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    """Keys are 256-bit random tokens, so a plain SHA-256 is enough to store them safely;
    looking up by hash also keeps the comparison independent of the secret's bytes."""
    return hashlib.sha256(key.encode()).hexdigest()
