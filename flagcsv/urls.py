app_name = "flagcsv"

urlpatterns: list = []
