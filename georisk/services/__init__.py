"""Clients for the conflict-data web services (ACLED's API, UCDP's API): complete pulls or a
ServiceError, never a partial batch; secrets never shown. A low-level package: it imports nothing
from the rest of georisk, and the feeds read what it brings through `Pull.csv_bytes()`.

See docs/services.md for each service's contract and where it is documented.
"""

from georisk.services.acled_api import forget_tokens, pull_acled
from georisk.services.credentials import (
    AcledCredentials,
    CredentialsMissing,
    UcdpCredentials,
    acled_credentials,
    acled_url,
    ucdp_credentials,
    ucdp_url,
)
from georisk.services.http import Budget, Pull, RetryPolicy, ServiceError, redact
from georisk.services.ucdp_api import pull_ucdp

__all__ = [
    "AcledCredentials",
    "Budget",
    "CredentialsMissing",
    "Pull",
    "RetryPolicy",
    "ServiceError",
    "UcdpCredentials",
    "acled_credentials",
    "acled_url",
    "forget_tokens",
    "pull_acled",
    "pull_ucdp",
    "redact",
    "ucdp_credentials",
    "ucdp_url",
]
