from django.apps import AppConfig


class FlagsConfig(AppConfig):
    name = "flags"
    verbose_name = "不開示該当フラグ等"

    def ready(self):
        # 引継ぎ: every 加入 applies a protection handed over to the insurer, in the enrolment's transaction
        # (members sits below flags and cannot call it itself).
        from flags.handover import protect_on_enrolment
        from members.enrolment import register_enrolment_hook

        register_enrolment_hook(protect_on_enrolment)
