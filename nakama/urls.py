from django.contrib import admin
from django.urls import include, path

admin.site.site_header = "Nakama 運用管理（サーバー運用者専用）"
admin.site.site_title = "Nakama 運用管理"
admin.site.index_title = "運用管理"

urlpatterns = [
    path("ops-admin/", admin.site.urls),
    path("portal/", include("portal_sim.urls")),
    path("api/", include("api.urls")),
    path("settings-csv/", include("flagcsv.urls")),
    path("", include("signin.urls")),  # /login/otp/ (the TOTP step), /account/second-factor/
    path("", include("console.urls")),
]

# The API's JSON error body for a 500 raised outside a DRF view under /api/; the HTML 500 page elsewhere.
handler500 = "api.errors.server_error"
# What Django refuses while reading a request (too large → 413, too many fields → 400): JSON under /api/, a Japanese
# page elsewhere, instead of Django's English page.
handler400 = "api.errors.bad_request"
