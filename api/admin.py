"""API tokens (knox) are read-only in the operator's admin: issued and revoked through api.services only."""

from django.contrib import admin
from knox.models import AuthToken

from audit.admin import ReadOnlyAdmin

admin.site.unregister(AuthToken)


@admin.register(AuthToken)
class AuthTokenAdmin(ReadOnlyAdmin):
    list_display = ("user", "created", "expiry")
    exclude = ("digest",)
