"""Is the read replica a standby that every commit waits for? Checked, not assumed (issue 20, docs/scaling.md §2).

The portal reads the replica the moment a clerk's request returns (nakama.routers). That is safe only when the
primary's commit waits until the standby has *applied* it: `synchronous_commit = remote_apply` for our sessions and
the standby reported by the primary as `sync` (or `quorum`) in pg_stat_replication. Otherwise a 自己情報提供不可 set a
moment ago could still be missing on the replica when her 代理人 looks.

Which row of pg_stat_replication is our replica, whatever its application_name: the name its WAL receiver gives
(pg_stat_wal_receiver.conninfo, else the standby's cluster_name, the receiver's default), or failing that every
sender whose client address is the replica's own address. Reading those views needs pg_read_all_stats, which the
runtime role deliberately lacks (it is a member of no role): run `check --deploy` with DATABASE_URL naming a
monitoring role (docs/operations.md); without it the check cannot vouch for the replica and refuses it.
"""

import re

from django.db import DatabaseError, connections

_APP_NAME = re.compile(r"(?:^|\s)(application_name|fallback_application_name)=('(?:[^'\\]|\\.)*'|\S+)")


def _one(cursor, sql: str):
    cursor.execute(sql)
    row = cursor.fetchone()
    return row[0] if row else None


def _receiver_name(cursor) -> str:
    conninfo = _one(cursor, "SELECT conninfo FROM pg_stat_wal_receiver") or ""
    names = dict(m.groups() for m in _APP_NAME.finditer(conninfo))
    name = names.get("application_name") or names.get("fallback_application_name")
    if name:
        return name.strip("'")
    return _one(cursor, "SHOW cluster_name") or ""


def replica_problems(primary_alias: str = "default", replica_alias: str = "replica") -> list[str]:
    """Why the replica cannot be trusted to be in step with the primary (empty when it can)."""
    try:
        with connections[replica_alias].cursor() as cursor:
            if not _one(cursor, "SELECT pg_is_in_recovery()"):
                return ["DATABASE_REPLICA_URL is not a standby (pg_is_in_recovery() is false): it may be the primary "
                        "itself or a copy that no longer follows it."]
            name = _receiver_name(cursor)
            address = _one(cursor, "SELECT host(inet_server_addr())")
        with connections[primary_alias].cursor() as cursor:
            problems = []
            mode = _one(cursor, "SHOW synchronous_commit")
            if mode != "remote_apply":
                problems.append(f"synchronous_commit is '{mode}' on the primary for this role: it must be "
                                "'remote_apply' so a commit returns only once the standby shows it.")
            cursor.execute("SELECT application_name, host(client_addr), sync_state FROM pg_stat_replication")
            senders = cursor.fetchall()
    except DatabaseError as exc:
        return [f"the replica's state could not be read: {exc}".strip()]
    if any(state is None for _, _, state in senders):
        return problems + ["pg_stat_replication is hidden from this role: run check --deploy as a monitoring role "
                           "with pg_read_all_stats (docs/operations.md)."]
    ours = [s for s in senders if name and s[0] == name] or [s for s in senders if address and s[1] == address]
    if not ours:
        problems.append(f"the primary reports no standby streaming to the replica (application_name '{name}', "
                        f"address {address}).")
    elif any(state not in ("sync", "quorum") for _, _, state in ours):
        states = ", ".join(f"{n}: {state}" for n, _, state in ours)
        problems.append(f"the replica is not a synchronous standby of the primary ({states}): name it in "
                        "synchronous_standby_names.")
    return problems
