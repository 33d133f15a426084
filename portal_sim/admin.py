from django.contrib import admin

from portal_sim.models import Card, Proxy


@admin.register(Card)
class CardAdmin(admin.ModelAdmin):
    list_display = ("card_number", "person", "failed_attempts", "locked_at", "suspended_at", "replaced_at")
    exclude = ("pin_hash",)


@admin.register(Proxy)
class ProxyAdmin(admin.ModelAdmin):
    list_display = ("principal", "agent", "created_at", "removed_at")
