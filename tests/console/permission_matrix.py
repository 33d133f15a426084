"""The console's permission matrix: every named URL, who may read it (GET) and act on it (POST), and how to
build its arguments from the test scene. The test fails when a URL of a listed namespace is missing here.

To add the pages of another app (the lead: flagcsv, portal_sim:staff_preview), append its namespace to
NAMESPACES (or its full URL names to EXTRA_NAMES) and add Page entries to PAGES; nothing else changes.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.urls import URLPattern, URLResolver, get_resolver

C, S, A = "clerk", "supervisor", "auditor"
ALL = frozenset({C, S, A})
CHANGERS = frozenset({C, S})
NONE: frozenset = frozenset()

NAMESPACES = ["console", "flagcsv"]
EXTRA_NAMES: list[str] = ["portal_sim:staff_preview"]  # single staff pages of namespaces not fully covered
PUBLIC = {"console:login", "console:logout"}


@dataclass(frozen=True)
class Page:
    name: str
    read: frozenset
    write: frozenset = NONE
    kwargs: Callable | None = None  # scene → kwargs: an object page (another insurer gets 404)
    query: str = ""  # for a list page: a query that would find the scene's people
    markers: tuple = field(default=("佐藤 花子", "A0000001", "鈴木 一郎", "佐藤 太郎"))
    methods: str = "GET POST"  # the HTTP methods the URL answers; the other gets 405 from everyone signed in
    own_account: bool = False  # the page changes only the caller's own account (表示設定, APIトークン): auditors may POST
    reading: bool = False  # the POST only records why the caller reads (break the glass): auditors may POST
    download: bool = False  # a file (CSV), not a page: the browser test does not render it

    @property
    def is_object_page(self) -> bool:
        return self.kwargs is not None


def _handover(scene):
    from tests.console.conftest import received_handover

    return received_handover(scene)


def _companion_removal(scene):
    """A child on the protected person's case, with alice's removal request pending. Made on first use, kept."""
    if getattr(scene, "_companion_removal", None) is None:
        from flags.family import add_companion, request_companion_removal
        from tests import factories as f

        child = f.MemberFactory(insurer=scene.victim.insurer, person=f.PersonFactory(name="佐藤 さくら"),
                                branch_number="A0000007")
        companion = add_companion(actor=scene.case.opened_by, case=scene.case, member=child, relation="子",
                                  reason="母と共に避難")
        scene._companion_removal = request_companion_removal(actor=scene.case.opened_by, companion=companion,
                                                             reason="父方の祖父母の元へ")
    return scene._companion_removal


PAGES = {
    p.name: p
    for p in [
        Page("console:home", ALL),
        Page("console:preferences", ALL, ALL, own_account=True),
        # Each person's own API tokens (issue 18 ③): made after his own TOTP code (担当者: password).
        Page("console:api_tokens", ALL, ALL, own_account=True),
        Page("console:member_search", ALL, query="?kana=サトウ"),
        Page("console:member_detail", ALL, CHANGERS, kwargs=lambda s: {"pk": s.victim.pk}),
        Page("console:case_new", CHANGERS, CHANGERS, kwargs=lambda s: {"member_pk": s.victim.pk}),
        # 設定対象者の登録（一括, issue 19) and the names its script looks up: clerks and supervisors of the member's insurer.
        Page("console:intake", CHANGERS, CHANGERS, kwargs=lambda s: {"member_pk": s.victim.pk}),
        Page("console:intake_lookup", CHANGERS, kwargs=lambda s: {"member_pk": s.victim.pk}, methods="GET",
             download=True),  # JSON for the form's script, not a page
        Page("console:setting_request_clearing", CHANGERS, CHANGERS, kwargs=lambda s: {"pk": s.setting.pk}),
        Page("console:case_list", ALL),
        Page("console:case_detail", ALL, CHANGERS, kwargs=lambda s: {"pk": s.case.pk}),
        Page("console:case_exposure", ALL, CHANGERS, kwargs=lambda s: {"pk": s.case.pk}),
        # Issue 17: the break-the-glass reason (every role; an auditor gives one too) and 担当 (責任者).
        Page("console:glass", ALL, ALL, kwargs=lambda s: {"pk": s.victim.pk}, reading=True),
        Page("console:case_staff", NONE, frozenset({S}), kwargs=lambda s: {"pk": s.case.pk}),
        # 引継ぎ: offered by staff of the old insurer; confirmed or declined by the new insurer's 責任者.
        Page("console:handover_offer", CHANGERS, CHANGERS, kwargs=lambda s: {"pk": s.case.pk}),
        Page("console:handover_list", frozenset({S, A})),
        Page("console:handover_detail", frozenset({S, A}), frozenset({S}), kwargs=lambda s: {"pk": _handover(s).pk}),
        Page("console:case_review_date", NONE, CHANGERS, kwargs=lambda s: {"pk": s.case.pk}),
        Page("console:case_close_request", NONE, CHANGERS, kwargs=lambda s: {"pk": s.case.pk}),
        Page("console:closure_detail", frozenset({S, A}), frozenset({S}), kwargs=lambda s: {"pk": s.closure.pk}),
        # 要注意照会対象者: added and asked to be removed by clerks and supervisors; removal decided by a supervisor.
        Page("console:link_new", CHANGERS, CHANGERS, kwargs=lambda s: {"pk": s.case.pk}),
        Page("console:link_request_removal", CHANGERS, CHANGERS, kwargs=lambda s: {"pk": s.link.pk}),
        Page("console:link_removal_detail", frozenset({S, A}), frozenset({S}), kwargs=lambda s: {"pk": s.link_removal.pk}),
        # 同伴者: added and asked to be removed by clerks and supervisors; removal decided by a supervisor.
        Page("console:companion_new", CHANGERS, CHANGERS, kwargs=lambda s: {"pk": s.case.pk}),
        Page("console:companion_request_removal", CHANGERS, CHANGERS,
             kwargs=lambda s: {"pk": _companion_removal(s).companion_id}),
        Page("console:companion_removal_detail", frozenset({S, A}), frozenset({S}),
             kwargs=lambda s: {"pk": _companion_removal(s).pk}),
        Page("console:inquiry_new", CHANGERS, CHANGERS),
        Page("console:exchange_list", ALL),
        Page("console:exchange_detail", ALL, CHANGERS, kwargs=lambda s: {"pk": s.abuser_record.pk}),
        Page("console:append_list", ALL),
        Page("console:manual_queue", ALL),
        Page("console:manual_response", ALL, CHANGERS, kwargs=lambda s: {"pk": s.manual_record.pk}),
        Page("console:dashboard", frozenset({S, A})),
        Page("console:clearing_list", frozenset({S, A})),
        Page(
            "console:clearing_detail", frozenset({S, A}), frozenset({S}),
            kwargs=lambda s: {"pk": s.clearing_request.pk},
        ),
        Page("console:staff_list", frozenset({S, A})),
        Page("console:staff_new", frozenset({S}), frozenset({S})),
        Page("console:staff_detail", frozenset({S, A}), frozenset({S}), kwargs=lambda s: {"pk": s.case.opened_by_id}),
        Page("console:role_grant_list", frozenset({S, A})),
        Page(
            "console:role_grant_detail", frozenset({S, A}), frozenset({S}), kwargs=lambda s: {"pk": s.role_grant.pk},
        ),
        Page("console:audit_trail", frozenset({A})),
        Page("console:audit_trail_csv", frozenset({A}), download=True),
        Page("console:access_digest", frozenset({A})),
        Page("console:access_digest_csv", frozenset({A}), download=True),
        # 設定CSV (renewal ③): 責任者 only.
        Page("flagcsv:export", frozenset({S}), frozenset({S})),
        Page("flagcsv:download", NONE, frozenset({S}), methods="POST"),
        Page("flagcsv:import", frozenset({S}), frozenset({S})),
        Page("flagcsv:import_preview", frozenset({S}), frozenset({S})),
        Page("flagcsv:import_apply", NONE, frozenset({S}), methods="POST"),
        Page("flagcsv:import_cancel", NONE, frozenset({S}), methods="POST"),
        # 「加害者から見える内容」 preview of a case: every role of the case's insurer, read only.
        Page("portal_sim:staff_preview", ALL, kwargs=lambda s: {"case_pk": s.case.pk}, methods="GET"),
    ]
}


def _names(patterns, prefix: str) -> set[str]:
    names = set()
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{prefix}{p.namespace}:" if p.namespace else prefix
            names |= _names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            names.add(f"{prefix}{p.name}")
    return names


def resolver_names() -> set[str]:
    """Every named URL of NAMESPACES (and EXTRA_NAMES that exist), as the URL resolver knows them."""
    all_names = _names(get_resolver().url_patterns, "")
    wanted = {n for n in all_names if n.split(":", 1)[0] in NAMESPACES}
    return wanted | {n for n in EXTRA_NAMES if n in all_names}
