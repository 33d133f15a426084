from django.apps import AppConfig


class PortalSimConfig(AppConfig):
    name = "portal_sim"
    verbose_name = "マイナポータル（シミュレーション）"

    def ready(self) -> None:
        # flags sits below portal_sim: the card-procedure gate learns the card and proxy facts through this registry.
        from flags.facts import register_fact_provider
        from portal_sim.facts import card_proxy_facts_many

        register_fact_provider(card_proxy_facts_many)
