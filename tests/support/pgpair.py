"""A primary/standby pair of PostgreSQL clusters of our own, on loopback ports, for the replica and failover tests and
the benches (issue 20). Never touches the machine's shared cluster on 5432.

    with PgPair.start() as pair:          # initdb, start the primary, pg_basebackup -R, start the standby
        pair.primary_url("nakama")          # postgres://postgres@127.0.0.1:<port>/nakama
        pair.stop_primary_immediately()     # pg_ctl stop -m immediate: a crash, commits in doubt
        pair.promote_standby()              # pg_ctl promote

The primary waits for the standby to apply every commit (`synchronous_standby_names` naming it,
`synchronous_commit = remote_apply`), as docs/operations.md requires of a replica the portal reads. As root (CI),
the clusters run as the `postgres` user, which initdb requires.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

STANDBY_NAME = "nakama_standby"


def pg_bin() -> Path:
    for version in ("17", "16", "15"):
        path = Path(f"/usr/lib/postgresql/{version}/bin")
        if (path / "initdb").exists():
            return path
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) are not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgPair:
    base: Path
    primary_port: int
    standby_port: int
    apply_delay_ms: int = 0
    log: list[str] = field(default_factory=list)

    # --- running commands as the clusters' owner -------------------------------------------------------------
    def _as_owner(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(pg_bin() / args[0]), *args[1:]]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd="/")
        self.log.append(f"$ {' '.join(args)}\n{done.stdout}{done.stderr}")
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
        return done

    @property
    def primary_dir(self) -> Path:
        return self.base / "primary"

    @property
    def standby_dir(self) -> Path:
        return self.base / "standby"

    def url(self, port: int, db: str = "postgres", **params: str) -> str:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        return f"postgres://postgres@127.0.0.1:{port}/{db}" + (f"?{query}" if query else "")

    def primary_url(self, db: str = "postgres") -> str:
        return self.url(self.primary_port, db)

    def standby_url(self, db: str = "postgres") -> str:
        return self.url(self.standby_port, db)

    def multi_host_url(self, db: str = "postgres") -> str:
        """libpq multi-host: whichever of the two accepts writes (the primary, or the standby once promoted)."""
        return (f"postgres://postgres@127.0.0.1:{self.primary_port},127.0.0.1:{self.standby_port}/{db}"
                "?target_session_attrs=read-write&connect_timeout=2")

    # --- life cycle ----------------------------------------------------------------------------------------------
    @classmethod
    @contextlib.contextmanager
    def start(cls, *, apply_delay_ms: int = 0):
        base = Path(tempfile.mkdtemp(prefix="nakama-pgpair-"))
        pair = cls(base=base, primary_port=free_port(), standby_port=free_port(), apply_delay_ms=apply_delay_ms)
        try:
            pair._init()
            yield pair
        finally:
            pair.stop()
            shutil.rmtree(base, ignore_errors=True)

    def _init(self) -> None:
        if os.geteuid() == 0:
            shutil.chown(self.base, "postgres", "postgres")
        self._as_owner("initdb", "-D", str(self.primary_dir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                       "--locale=C.UTF-8", "--no-sync")
        self._configure(self.primary_dir, self.primary_port, [
            "wal_level = replica", "max_wal_senders = 5", "hot_standby = on",
            f"synchronous_standby_names = '\"{STANDBY_NAME}\"'", "synchronous_commit = remote_apply",
        ])
        self._start(self.primary_dir)
        self._as_owner("pg_basebackup", "-h", "127.0.0.1", "-p", str(self.primary_port), "-U", "postgres",
                       "-D", str(self.standby_dir), "-R", "-X", "stream", "--no-sync")
        # The WAL receiver's application_name; and once promoted, a primary with no standby of its own yet: it must
        # not wait for one (the copied primary settings would make every commit hang), docs/operations.md.
        standby = [f"cluster_name = '{STANDBY_NAME}'", "synchronous_standby_names = ''"]
        if self.apply_delay_ms:
            standby.append(f"recovery_min_apply_delay = '{self.apply_delay_ms}ms'")
        self._configure(self.standby_dir, self.standby_port, standby)
        self._start(self.standby_dir)
        self.wait_until_synchronous()

    def _configure(self, datadir: Path, port: int, lines: list[str]) -> None:
        common = [
            f"port = {port}", "listen_addresses = '127.0.0.1'", f"unix_socket_directories = '{self.base}'",
            "fsync = off", "full_page_writes = off", "shared_buffers = 32MB", "max_connections = 60",
            "logging_collector = off",
        ]
        conf = datadir / "postgresql.conf"
        with conf.open("a") as f:
            f.write("\n# nakama pgpair\n" + "\n".join(common + lines) + "\n")

    def _start(self, datadir: Path) -> None:
        self._as_owner("pg_ctl", "-D", str(datadir), "-l", str(datadir / "server.log"), "-w", "-t", "60", "start")

    def stop(self) -> None:
        for datadir in (self.standby_dir, self.primary_dir):
            if (datadir / "postmaster.pid").exists():
                self._as_owner("pg_ctl", "-D", str(datadir), "-m", "immediate", "-w", "stop", check=False)

    def stop_primary_immediately(self) -> None:
        """A crash as PostgreSQL sees one: no checkpoint, connections cut, commits in flight in doubt."""
        self._as_owner("pg_ctl", "-D", str(self.primary_dir), "-m", "immediate", "-w", "stop")

    def promote_standby(self) -> None:
        self._as_owner("pg_ctl", "-D", str(self.standby_dir), "-w", "-t", "60", "promote")

    # --- questions -------------------------------------------------------------------------------------------
    def psql(self, port: int, sql: str, db: str = "postgres") -> str:
        done = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-d", db, "-XtAqc", sql],
            capture_output=True, text=True, timeout=60,
        )
        if done.returncode != 0:
            raise RuntimeError(f"psql: {done.stderr}")
        return done.stdout.strip()

    def wait_until_synchronous(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            state = self.psql(self.primary_port, "SELECT sync_state FROM pg_stat_replication "
                                                 f"WHERE application_name = '{STANDBY_NAME}'")
            if state == "sync":
                return
            time.sleep(0.2)
        raise RuntimeError("the standby did not become synchronous")

    def create_database(self, name: str) -> None:
        self.psql(self.primary_port, f'CREATE DATABASE "{name}"')
