"""Data-migration tests: move the test database to a migration state and get that state's historical models."""

from django.apps.registry import Apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets: list[tuple[str, str]]) -> Apps:
    """Migrate to `targets` (app, migration name) and return the historical apps at that point."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest() -> list[tuple[str, str]]:
    """Every app's last migration: where a test that stepped back must leave the database."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes()
