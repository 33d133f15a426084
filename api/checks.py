"""System checks of the API's deployment: `manage.py check --deploy` refuses the simulated world."""

from django.conf import settings
from django.core.checks import Error, Tags, register


@register(Tags.security, deploy=True)
def simulation_api_is_off(app_configs, **kwargs):
    if getattr(settings, "NAKAMA_SIM_API", False):
        return [Error(
            "NAKAMA_SIM_API is on: /api/sim/ creates staff, API tokens and My Number cards.",
            hint="Set NAKAMA_SIM_API=false wherever real data lives; the simulation is for the demo and tests.",
            id="nakama.E001",
        )]
    return []


@register(Tags.security, deploy=True)
def read_replica_is_synchronous(app_configs, **kwargs):
    """The portal and auditors read DATABASE_REPLICA_URL: refuse it unless the primary waits for it to apply."""
    from nakama.replication import replica_problems
    from nakama.routers import replica_in_use

    if not replica_in_use():
        return []
    return [Error(
        f"DATABASE_REPLICA_URL: {problem}",
        hint="docs/operations.md「同期スタンバイ」: synchronous_standby_names names the standby and "
             "synchronous_commit = remote_apply, or unset DATABASE_REPLICA_URL.",
        id="nakama.E002",
    ) for problem in replica_problems()]
