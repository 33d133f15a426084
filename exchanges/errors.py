"""The fail-closed errors of sending and providing: a check could not be completed, so nothing went to NWS."""


class ExchangeNotSent(Exception):
    """Base of the fail-closed errors: a check could not be completed, so nothing left for NWS."""

    message = "確認ができなかったため、送信しませんでした。時間をおいて再度お試しください。"
    code = "check_failed"

    def __str__(self) -> str:
        return self.message


class InquiryNotSent(ExchangeNotSent):
    """The 不開示該当フラグ check could not be completed, so the inquiry was not sent (fail closed, rule 1)."""

    message = "不開示該当フラグの確認ができなかったため、情報照会を送信しませんでした。時間をおいて再度お試しください。"
    code = "flag_check_failed"


class ProvisionNotSent(ExchangeNotSent):
    """At approval of a manual response the 不開示該当フラグ check could not be completed: nothing was provided."""

    message = "不開示該当フラグの確認ができなかったため、情報提供を送信しませんでした。時間をおいて再度お試しください。"
    code = "flag_check_failed"
