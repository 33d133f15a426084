"""One assertion helper for a record's whole state, so each scenario states every field it cares about."""

from exchanges.models import ExchangeRecord
from exchanges.selectors import is_shown_in_portal, portal_history


def assert_record(
    record: ExchangeRecord,
    *,
    state: str,
    inquiry_code: str,  # "" none, "auto", "manual"
    provision_code: str,
    care: bool,
    shown: bool,
    inquirer: str,
    department: str,
    provider: str,
) -> ExchangeRecord:
    record = ExchangeRecord.objects.get(pk=record.pk)
    assert record.state == state
    assert (record.inquiry_code, record.inquiry_code_source) == (bool(inquiry_code), inquiry_code)
    assert (record.provision_code, record.provision_code_source) == (bool(provision_code), provision_code)
    assert record.handle_with_care is care  # 取り扱い注意
    assert (record.inquirer_display, record.inquirer_department_display, record.provider_display) == (
        inquirer, department, provider,
    )
    assert is_shown_in_portal(record) is shown
    assert (record in portal_history(person=record.subject)) is shown
    return record
