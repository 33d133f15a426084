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
