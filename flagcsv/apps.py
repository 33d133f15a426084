from django.apps import AppConfig


class FlagCsvConfig(AppConfig):
    name = "flagcsv"
    verbose_name = "フラグ等設定のCSV出力・取込"
