from django.urls import path

from portal_sim import views

app_name = "portal_sim"

urlpatterns = [
    path("", views.index, name="index"),
    path("login/", views.sign_in, name="login"),
    path("logout/", views.sign_out, name="logout"),
    path("self-info/", views.self_info, name="self_info"),
    path("history/", views.history, name="history"),
    path("proxies/", views.proxies, name="proxies"),
    path("proxies/name/", views.proxy_name, name="proxy_name"),
    path("proxies/remove/", views.proxy_remove, name="proxy_remove"),
    path("principals/<int:person_id>/switch/", views.act_for, name="act_for"),
    path("principals/self/", views.act_self, name="act_self"),
    path("staff-preview/case/<int:case_pk>/", views.staff_preview, name="staff_preview"),
]
