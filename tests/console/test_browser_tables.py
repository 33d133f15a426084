"""Tables that read (issue 19 ⑤): at 1280 px, on every list page of the console, a cell of names, dates, codes or
states is on one line (「石田 責任者」 was split 「石田 責任 / 者」, 照会日時 and 依頼日時 ran onto two lines), and only
the free-text cells (class "text": reasons, messages) wrap, between words. Measured in Chromium with Range.getClientRects.
Screenshots go to /tmp/console-tables-*.png."""

import os

import pytest
from django.urls import reverse

from audit.services import record
from tests.console.permission_matrix import PAGES
from tests.console.test_browser import check_page, items, page_for, procedures  # noqa: F401 (fixtures)

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

# Every list page: a page of the matrix that needs no object and is not a file or a form.
FORMS = {"console:inquiry_new", "console:staff_new", "console:preferences", "console:api_tokens", "flagcsv:export",
         "flagcsv:import", "flagcsv:import_preview"}
LIST_PAGES = sorted(name for name, p in PAGES.items()
                    if p.read and not p.kwargs and not p.download and name not in FORMS and name != "console:home")

# [text, lines] of every piece of text in a cell that must stay on one line (not inside .text, which may wrap between
# words). Each text node is measured: a cell may put a name and its 枝番 on two lines on purpose (<br>), never one
# name or one date over two.
CELL_LINES = """() => Array.from(document.querySelectorAll('main table td, main table th'))
  .filter(cell => !cell.closest('.text'))
  .flatMap(cell => {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT), out = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (!node.textContent.trim() || node.parentElement.closest('.text, details:not([open]) > :not(summary)')) continue;
      const range = document.createRange(); range.selectNodeContents(node);
      const tops = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.top)));
      if (tops.size) out.push([node.textContent.trim(), tops.size]);
    }
    return out;
  })"""


@pytest.fixture
def long_names(scene, alice, sam, audrey):
    """Names as long as an office's get: 「石田 責任者」 and longer, in every column that shows a person."""
    for user, name in ((alice, "長谷川 久美子 主任担当"), (sam, "石田 責任者"), (audrey, "渡辺 監査担当者")):
        user.display_name = name
        user.save(update_fields=["display_name"])
    for n in range(3):
        record(actor=alice, action="manual_response.approved", target=scene.manual_record, message=f"確認 {n}")
    # Long reasons beside the short columns: the table squeezes the columns that do not wrap, and they must hold.
    long_reason = "本人から窓口で申出があり、カード停止と代理人設定の解除が完了したことを電話で確認したため。" * 3
    for obj in (scene.clearing_request, scene.append_request, scene.link_removal):
        type(obj).objects.filter(pk=obj.pk).update(reason=long_reason)


def _reader(name, alice, sam, audrey):
    roles = PAGES[name].read
    return alice if "clerk" in roles else sam if "supervisor" in roles else audrey


@pytest.mark.parametrize("name", LIST_PAGES)
def test_no_cell_of_a_list_wraps_mid_word_at_1280(page_for, live_server, long_names, name, alice, sam,  # noqa: F811
                                                    audrey):
    page = page_for(_reader(name, alice, sam, audrey))
    page.goto(live_server.url + reverse(name) + PAGES[name].query)
    cells = page.evaluate(CELL_LINES)
    assert cells, name
    wrapped = [text for text, lines in cells if lines != 1]
    assert not wrapped, (name, wrapped)
    check_page(page, f"tables-{name.replace(':', '-')}")
