from django.urls import path

from portal_sim import views

app_name = "portal_sim"

urlpatterns = [
    path("", views.index, name="index"),
]
