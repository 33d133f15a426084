from django.urls import path

from signin import views

app_name = "signin"

urlpatterns = [
    path("login/otp/", views.otp_step, name="otp"),
    path("account/second-factor/", views.own_device, name="device"),
]
