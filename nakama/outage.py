"""The database is away: what counts as an outage, and how long a client should wait before retrying (issue 20).

During a failover (docs/operations.md) the primary stops and the standby is promoted; for those seconds every
request that needs the database fails to connect, or loses its connection mid-statement. That is not a bug of the
request: the API answers 503 with Retry-After (api/errors.py), the console a Japanese 503 page, never a 500.
"""

from django.db import InterfaceError, OperationalError

RETRY_AFTER_SECONDS = 2  # a promotion takes about a second; a client that waits this long usually finds it done


def is_database_outage(exc: BaseException | None) -> bool:
    """An error raised because the server could not be reached or went away (psycopg2's OperationalError and
    InterfaceError as Django wraps them), also when it surfaced wrapped in another exception."""
    seen = 0
    while exc is not None and seen < 5:
        if isinstance(exc, OperationalError | InterfaceError):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False
