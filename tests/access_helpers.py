"""Break the glass in tests (issue 17): a staff member who is not 担当 gives a reason before her pages open."""

from django.urls import reverse


def give_reason(client, member, reason: str = "確認のため", page: str = "被保険者詳細"):
    """POST the one-line reason for this member on the console's prompt; the session keeps it until sign-out."""
    response = client.post(reverse("console:glass", args=[member.pk]), {
        "reason": reason, "page": page, "next": reverse("console:member_detail", args=[member.pk]),
    })
    assert response.status_code == 302, response.content.decode()[:500]
    return response


def break_glass_in_browser(page, reason: str = "確認のため") -> None:
    """On the console's 閲覧理由の入力 page (Chromium): type the reason and go on to the page asked for."""
    page.wait_for_selector("#glass")
    page.fill("#id_reason", reason)
    page.click("#glass-submit")
