from django.urls import path

from flagcsv import views

app_name = "flagcsv"

urlpatterns = [
    path("", views.export_page, name="export"),
    path("download/", views.download, name="download"),
    path("import/", views.import_upload, name="import"),
    path("import/preview/", views.import_preview, name="import_preview"),
    path("import/apply/", views.import_apply, name="import_apply"),
    path("import/cancel/", views.import_cancel, name="import_cancel"),
]
