"""The console's one date field (console/fields.py): a text input (no mm/dd/yyyy picker) with its 和暦 beside it,
every date input of the console uses it, and the implausible is refused (issue 19 ③)."""

import datetime as dt

import pytest
from django import forms
from django.urls import reverse
from django.utils import timezone

from console import forms as console_forms
from console.fields import DateTextInput, JapaneseDateField
from nakama.wareki import format_wareki


def _form_classes():
    for value in vars(console_forms).values():
        if isinstance(value, type) and issubclass(value, forms.Form) and value is not forms.Form:
            yield value


def test_every_date_field_of_the_console_is_the_one_date_field():
    dated = {}
    for form_class in _form_classes():
        for name, field in form_class.base_fields.items():
            assert not isinstance(field, forms.DateField), f"{form_class.__name__}.{name} uses the browser's picker"
            if isinstance(field, JapaneseDateField):
                dated[f"{form_class.__name__}.{name}"] = field
    # 申出日, six card procedures, 見直し日, two filters × 2, 同意日.
    assert len(dated) == 13
    assert all(isinstance(f.widget, DateTextInput) for f in dated.values())


def test_the_input_is_text_with_inputmode_and_its_wareki_beside_it():
    html = JapaneseDateField().widget.render("review_on", dt.date(2026, 12, 5), {"id": "id_review_on"})
    assert 'type="text"' in html and 'inputmode="text"' in html and 'type="date"' not in html
    assert 'value="令和8年12月5日"' in html
    assert 'aria-describedby="id_review_on_wareki"' in html
    assert '<output id="id_review_on_wareki" class="wareki-preview" aria-live="polite">令和8年12月5日（2026年）</output>' in html


@pytest.mark.parametrize("typed", ["令和8年12月5日", "R8.12.5", "R08/12/05", "2026-12-05", "2026/12/05", "２０２６／１２／０５"])
def test_the_field_reads_each_way(typed):
    assert JapaneseDateField().clean(typed) == dt.date(2026, 12, 5)


def test_a_day_that_has_not_come_is_refused_where_it_cannot_be():
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    form = console_forms.ChecklistForm({"card_suspension_advised_on": tomorrow.isoformat()})
    assert not form.is_valid()
    assert "まだ来ていない日です" in form.errors["card_suspension_advised_on"][0]


def test_a_review_date_in_the_past_is_refused():
    form = console_forms.ReviewDateForm({"review_on": "R1.5.1", "reason": "見直し"})
    assert not form.is_valid() and "過ぎた日です" in form.errors["review_on"][0]


def test_a_card_procedure_before_the_case_is_refused(scene, alice, as_user):
    """Issue 19: a card-stop 案内した日 in 1989, before the case existed, was accepted."""
    scene.case.refresh_from_db()
    before = scene.case.card_suspension_advised_on
    response = as_user(alice).post(reverse("console:case_detail", args=[scene.case.pk]), {
        "card_suspension_advised_on": "平成元年1月8日", "notes": "",
    })
    assert response.status_code == 400
    opened = format_wareki(timezone.localdate(scene.case.opened_at))
    assert f"平成元年1月8日はこの設定対象者の登録日（{opened}）より前です。" in response.content.decode()
    scene.case.refresh_from_db()
    assert scene.case.card_suspension_advised_on == before


def test_a_card_procedure_typed_in_wareki_is_saved(scene, alice, as_user):
    today = timezone.localdate()
    response = as_user(alice).post(reverse("console:case_detail", args=[scene.case.pk]), {
        "card_suspension_advised_on": format_wareki(today), "notes": "",
    })
    assert response.status_code == 302
    scene.case.refresh_from_db()
    assert scene.case.card_suspension_advised_on == today


def test_history_filter_reads_wareki(scene, audrey, as_user):
    today = timezone.localdate()
    response = as_user(audrey).get(reverse("console:exchange_list"), {"date_from": format_wareki(today)})
    assert response.status_code == 200 and not response.context["form"].errors
    assert response.context["form"].cleaned_data["date_from"] == today

