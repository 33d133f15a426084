"""The simulation operator's view of cards and proxies. Cards change only through portal_sim.services (audited);
proxies are never changed here, because only the principal removes a proxy."""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from audit.admin import ReadOnlyAdmin
from members.admin import members_of_persons
from portal_sim import services
from portal_sim.models import Card, Proxy


@admin.register(Card)
class CardAdmin(ReadOnlyAdmin):
    list_display = ("card_number", "person", "failed_attempts", "locked_at", "suspended_at", "replaced_at", "issued_at")
    list_filter = ("suspended_at", "locked_at", "replaced_at")
    search_fields = ("card_number", "person__sim_id")
    exclude = ("pin_hash",)
    actions = ("suspend_selected", "reissue_selected")

    def members_shown(self, objects):
        return members_of_persons(c.person_id for c in objects)

    @admin.action(description="選択したカードを停止する（カード停止）")
    def suspend_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for card in queryset:
            services.suspend_card(card=card, actor=request.user, reason="運用管理画面から停止")
        self.message_user(request, f"{queryset.count()} 枚のカードを停止しました。代理人設定は解除されていません。")

    @admin.action(description="選択したカードの持ち主にカードを再交付する（旧カードは失効）")
    def reissue_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for person in {card.person for card in queryset.select_related("person")}:
            pin = services.new_pin()
            card = services.reissue_card(person=person, pin=pin, actor=request.user)
            # Shown once: only the hash is stored.
            self.message_user(
                request, f"{person.name}: 新しいカード識別子 {card.card_number} ／ 暗証番号 {pin}", messages.SUCCESS
            )


@admin.register(Proxy)
class ProxyAdmin(ReadOnlyAdmin):
    list_display = ("principal", "agent", "created_at", "removed_at")

    def members_shown(self, objects):
        return members_of_persons([p.principal_id for p in objects] + [p.agent_id for p in objects])
    list_filter = ("removed_at",)
