"""Credentials and addresses of the two services, from the environment or Streamlit's secrets file.

The environment wins (ACLED_EMAIL, ACLED_PASSWORD, UCDP_TOKEN), field by field; what it lacks is
read from the secrets TOML file (by default .streamlit/secrets.toml in the working directory,
sections [acled] email/password and [ucdp] token). A missing value is named in the error, never
shown. Every secret is registered with `http.register_secret`, so that no message of this package
can show it, and the objects' repr hides it.

The base URLs are the official ones unless GEORISK_ACLED_URL / GEORISK_UCDP_URL say otherwise
(the tests point them at local stand-ins).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from georisk.services.http import ServiceError, register_secret

ACLED_URL = "https://acleddata.com"
UCDP_URL = "https://ucdpapi.pcr.uu.se"
SECRETS_FILE = Path(".streamlit") / "secrets.toml"


class CredentialsMissing(ServiceError):
    """A credential is absent (or the secrets file unreadable); the message names what."""


def _masked_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return (name[:1] + "***" + ("@" + domain if domain else "")) if email else ""


@dataclass(frozen=True, repr=False)
class AcledCredentials:
    email: str
    password: str

    def __post_init__(self):
        register_secret(self.password)

    def __repr__(self) -> str:
        return f"AcledCredentials(email={_masked_email(self.email)!r}, password=<hidden>)"

    __str__ = __repr__


@dataclass(frozen=True, repr=False)
class UcdpCredentials:
    token: str

    def __post_init__(self):
        register_secret(self.token)

    def __repr__(self) -> str:
        return "UcdpCredentials(token=<hidden>)"

    __str__ = __repr__


def _secrets(path: Path | None) -> tuple[dict, Path]:
    """The secrets file's tables, and its path as messages name it: relative to the working
    directory (messages reach the Data page's runs table, which viewers see too, and the server's
    own paths are for those who run it)."""
    path = Path(path) if path is not None else Path(SECRETS_FILE)
    if not path.is_file():
        return {}, path
    try:
        return tomllib.loads(path.read_text(encoding="utf-8")), path
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        # The parser's message may quote the line it stopped at, which may hold a secret.
        raise CredentialsMissing(
            f"the secrets file {path} could not be read ({type(err).__name__})"
        ) from None


def _value(env: Mapping[str, str], variable: str, table: dict, section: str, key: str) -> str | None:
    value = env.get(variable)
    if value:
        return value
    part = table.get(section)
    found = part.get(key) if isinstance(part, dict) else None
    return found if isinstance(found, str) and found else None


def acled_credentials(
    env: Mapping[str, str] | None = None, secrets_file: Path | None = None
) -> AcledCredentials:
    env = os.environ if env is None else env
    table, path = _secrets(secrets_file)
    email = _value(env, "ACLED_EMAIL", table, "acled", "email")
    password = _value(env, "ACLED_PASSWORD", table, "acled", "password")
    missing = [
        f"{what} (ACLED_{what.upper()} or [acled] {what} in {path})"
        for what, value in (("email", email), ("password", password))
        if not value
    ]
    if missing:
        raise CredentialsMissing("ACLED credentials are missing: " + ", ".join(missing))
    return AcledCredentials(email, password)


def ucdp_credentials(
    env: Mapping[str, str] | None = None, secrets_file: Path | None = None
) -> UcdpCredentials:
    env = os.environ if env is None else env
    table, path = _secrets(secrets_file)
    token = _value(env, "UCDP_TOKEN", table, "ucdp", "token")
    if not token:
        raise CredentialsMissing(
            f"the UCDP access token is missing (UCDP_TOKEN or [ucdp] token in {path}); "
            "UCDP's API gives tokens on request to its maintainer"
        )
    return UcdpCredentials(token)


def acled_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get("GEORISK_ACLED_URL") or ACLED_URL).rstrip("/")


def ucdp_url(env: Mapping[str, str] | None = None) -> str:
    env = os.environ if env is None else env
    return (env.get("GEORISK_UCDP_URL") or UCDP_URL).rstrip("/")
