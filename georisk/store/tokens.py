"""The store's side of the API tokens: the bearer tokens that read the JSON API (/api/v1/...)
and the MCP server (/mcp). A token grants reading, nothing else: there is no write scope.

A token is `grk_` followed by 43 URL-safe characters (32 random bytes). Its secret is shown once,
when it is made; the store keeps only its SHA-256 (hex), with its first 8 characters (the
`prefix`) for people to tell tokens apart. A token is checked by looking up the hash of what was
sent, so that nothing compares the secret itself character by character, and a leaked copy of the
database gives nobody a working token. Revoking keeps the row (who made it, when it was last used)
with the time it was revoked; a revoked token's name may be given to a new one.

The command line is georisk.api.commands; the check on each request is georisk.api.access.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import secrets
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import ClassVar

import sqlalchemy as sa

from georisk.store import tables as t
from georisk.store.database import Store

PREFIX = "grk_"
SHOWN = 8  # the characters of a secret that people are shown (`grk_` and four more)
MAX_SECRET = 200  # anything longer is no token of ours, and is not even hashed
MAX_NAME = 100
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_used is written at most this often per token
log = logging.getLogger(__name__)


class TokenError(ValueError):
    """A token cannot be made or revoked as asked; nothing was changed (the message says why)."""


@dataclass(frozen=True)
class TokenInfo:
    """A token as people and the endpoints see it: never its secret nor its hash."""

    id: int
    name: str
    prefix: str
    created: str
    created_by: str | None
    last_used: str | None
    revoked: str | None
    revoked_by: str | None = None
    scope: ClassVar[str] = "read"  # what every token grants: reading the API and the MCP server

    @property
    def active(self) -> bool:
        return self.revoked is None


def digest(secret: str) -> str:
    """The SHA-256 (hex) of a secret, what the store keeps."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def looks_like_token(secret: str) -> bool:
    return secret.startswith(PREFIX) and len(secret) <= MAX_SECRET


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


def clean_name(name: str) -> str:
    """A token's name as kept: stripped, 1 to 100 characters, nothing invisible, and not
    something that could be mistaken for a token or its prefix."""
    name = (name or "").strip()
    if not name:
        raise TokenError("a token needs a name (who or what uses it, e.g. grafana)")
    if len(name) > MAX_NAME:
        raise TokenError(f"a token's name has at most {MAX_NAME} characters")
    if any(unicodedata.category(c).startswith(("C", "Z")) and c != " " for c in name):
        raise TokenError("a token's name may not hold control, format or unusual space characters")
    if name.startswith(PREFIX):
        raise TokenError(f"a token's name may not start with {PREFIX!r} (tokens and their prefixes do)")
    return name


def _info(row) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        name=row["name"],
        prefix=row["prefix"],
        created=row["created"],
        created_by=row["created_by"],
        last_used=row["last_used"],
        revoked=row["revoked"],
        revoked_by=row["revoked_by"],
    )


_PUBLIC = [c for c in t.api_tokens.c if c.name != "hash"]


class TokenBook:
    """The API tokens of one store. `clock` gives the time (tests move it)."""

    def __init__(self, store: Store, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.store = store
        self.engine = store.engine
        self.clock = clock

    def create(self, name: str, actor: str = "") -> tuple[str, TokenInfo]:
        """Make a token: (its secret, to be shown once and never again, its record). A name in
        use by a token in force is refused (TokenError)."""
        name = clean_name(name)
        secret = new_secret()
        with self.engine.begin() as conn:
            taken = conn.execute(
                sa.select(t.api_tokens.c.id).where(
                    t.api_tokens.c.name == name, t.api_tokens.c.revoked.is_(None)
                )
            ).first()
            if taken is not None:
                raise TokenError(
                    f"a token named {name!r} is in force: revoke it first, or choose another name"
                )
            new_id = conn.execute(
                sa.insert(t.api_tokens).values(
                    name=name,
                    prefix=secret[:SHOWN],
                    hash=digest(secret),
                    created=_stamp(self.clock()),
                    created_by=actor or None,
                    last_used=None,
                    revoked=None,
                    revoked_by=None,
                )
            ).inserted_primary_key[0]
            row = conn.execute(sa.select(*_PUBLIC).where(t.api_tokens.c.id == new_id)).mappings().one()
        return secret, _info(row)

    def list(self, include_revoked: bool = True) -> list[TokenInfo]:
        """The tokens, oldest first (without their hashes)."""
        query = sa.select(*_PUBLIC).order_by(t.api_tokens.c.id)
        if not include_revoked:
            query = query.where(t.api_tokens.c.revoked.is_(None))
        with self.engine.connect() as conn:
            return [_info(row) for row in conn.execute(query).mappings()]

    def revoke(self, name_or_prefix: str, actor: str = "") -> TokenInfo:
        """Revoke the token in force with this name, or this prefix (as `list` shows it), or this
        very secret. TokenError when none is in force, or when a prefix names several."""
        given = (name_or_prefix or "").strip()
        column = t.api_tokens.c
        if given.startswith(PREFIX) and len(given) > SHOWN:
            which, shown = column.hash == digest(given), "that secret"
        elif given.startswith(PREFIX):
            which, shown = column.prefix == given, f"the prefix {given}"
        else:
            which, shown = column.name == given, repr(given)
        with self.engine.begin() as conn:
            rows = conn.execute(sa.select(*_PUBLIC).where(which, column.revoked.is_(None))).mappings().all()
            if not rows:
                raise TokenError(f"no token in force matches {shown} (python -m georisk api token list)")
            if len(rows) > 1:
                raise TokenError(f"{len(rows)} tokens in force match {shown}: name one by its name")
            conn.execute(
                sa.update(t.api_tokens)
                .where(column.id == rows[0]["id"], column.revoked.is_(None))
                .values(revoked=_stamp(self.clock()), revoked_by=actor or None)
            )
            row = conn.execute(sa.select(*_PUBLIC).where(column.id == rows[0]["id"])).mappings().one()
        return _info(row)

    def check(self, secret: str) -> TokenInfo | None:
        """The token in force whose secret this is, or None (unknown, revoked, malformed). Its
        last use is recorded, at most once a minute; a store too busy to record it does not turn
        the request away."""
        if not isinstance(secret, str) or not looks_like_token(secret):
            return None
        wanted = digest(secret)
        column = t.api_tokens.c
        with self.engine.connect() as conn:
            row = (
                conn.execute(sa.select(*_PUBLIC, column.hash).where(column.hash == wanted)).mappings().first()
            )
        # The lookup is by hash; the comparison of the hash found is constant-time all the same.
        if row is None or not hmac.compare_digest(row["hash"], wanted) or row["revoked"] is not None:
            return None
        info = _info(row)
        moment = self.clock()
        cutoff = _stamp(moment - TOUCH_EVERY)
        if info.last_used is None or info.last_used <= cutoff:
            stamp = _stamp(moment)
            try:
                with self.engine.begin() as conn:
                    conn.execute(
                        sa.update(t.api_tokens)
                        .where(
                            column.id == info.id,
                            sa.or_(column.last_used.is_(None), column.last_used <= cutoff),
                        )
                        .values(last_used=stamp)
                    )
                info = replace(info, last_used=stamp)
            except sa.exc.SQLAlchemyError:  # a busy store: the use goes unrecorded this once
                log.warning("the last use of API token %s could not be recorded", info.prefix, exc_info=True)
        return info
