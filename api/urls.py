"""/api/v1/ for insurer systems, /api/sim/ for the simulated world (off unless NAKAMA_SIM_API), /api/schema/."""

from csp.constants import SELF
from csp.decorators import csp_replace
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView
from rest_framework.routers import SimpleRouter

from api.docs import redoc_script
from api.views import (
    access,
    account,
    batch,
    case_staff,
    cases,
    clearing,
    common,
    exchanges,
    family,
    flag_settings,
    handovers,
    links,
    members,
    sweep,
)
from api.views.sim import peers as sim_peers
from api.views.sim import portal as sim_portal
from api.views.sim import world as sim_world

app_name = "api"

router = SimpleRouter()
router.register("members", members.MemberViewSet, basename="member")
router.register("settings", flag_settings.SettingViewSet, basename="setting")
router.register("clearing-requests", clearing.ClearingRequestViewSet, basename="clearing-request")
router.register("cases", cases.ProtectionCaseViewSet, basename="case")
router.register("link-removals", links.LinkRemovalViewSet, basename="link-removal")
router.register("companion-removals", family.CompanionRemovalViewSet, basename="companion-removal")
router.register("exchanges", exchanges.ExchangeViewSet, basename="exchange")
router.register("manual-responses", exchanges.ManualQueueViewSet, basename="manual-response")
router.register("append-requests", exchanges.AppendRequestViewSet, basename="append-request")
router.register("audit", account.AuditViewSet, basename="audit")

# State changes: one small view per operation. Paths come before the router so "members/enrol" isn't a lookup.
v1 = [
    path("me/", account.MeView.as_view(), name="me"),
    path("tokens/revoke/", account.RevokeTokenView.as_view(), name="token-revoke"),
    path("institutions/", exchanges.InstitutionListView.as_view(), name="institutions"),
    path("catalogue/", exchanges.CatalogueView.as_view(), name="catalogue"),
    path("members/enrol/", members.EnrolView.as_view(), name="member-enrol"),
    path("members/<str:branch_number>/loss/", members.LossView.as_view(), name="member-loss"),
    path("members/<str:branch_number>/replicas/", members.ReplicaView.as_view(), name="member-replica"),
    path("replicas/bulk/", members.BulkReplicaView.as_view(), name="replica-bulk"),
    path("settings/set/", flag_settings.SetSettingView.as_view(), name="setting-set"),
    path("settings/export/", flag_settings.SettingsCsvView.as_view(), name="setting-export"),
    path("settings/<str:pk>/clearing-requests/", clearing.RequestClearingView.as_view(),
         name="setting-request-clearing"),
    path("clearing-requests/<str:pk>/decision/", clearing.DecideClearingView.as_view(), name="clearing-request-decide"),
    path("cases/open/", cases.OpenCaseView.as_view(), name="case-open"),
    path("cases/<str:pk>/checklist/", cases.CaseChecklistView.as_view(), name="case-checklist"),
    path("cases/<str:pk>/review-date/", cases.CaseReviewDateView.as_view(), name="case-review-date"),
    path("cases/<str:pk>/closure-requests/", cases.RequestCaseClosureView.as_view(), name="case-closure-request"),
    path("case-closures/<str:pk>/decision/", cases.DecideCaseClosureView.as_view(), name="case-closure-decide"),
    path("cases/<str:pk>/exposure/", sweep.ExposureSweepView.as_view(), name="case-exposure"),
    path("cases/<str:pk>/exposure/append-requests/", sweep.ExposureSweepAppendView.as_view(),
         name="case-exposure-append"),
    path("cases/<str:pk>/access-log/", access.CaseAccessLogView.as_view(), name="case-access-log"),
    path("cases/<str:pk>/staff/", case_staff.CaseStaffView.as_view(), name="case-staff-list"),
    path("cases/<str:pk>/staff/add/", case_staff.AddCaseStaffView.as_view(), name="case-staff-add"),
    path("cases/<str:pk>/staff/remove/", case_staff.RemoveCaseStaffView.as_view(), name="case-staff-remove"),
    path("cases/<str:pk>/access-reason/", cases.CaseAccessReasonView.as_view(), name="case-access-reason"),
    path("access-digest/", access.AccessDigestView.as_view(), name="access-digest"),
    path("cases/<str:pk>/handover/", handovers.OfferHandoverView.as_view(), name="case-handover-offer"),
    path("handovers/", handovers.HandoverListView.as_view(), name="handover-list"),
    path("handovers/<str:pk>/confirm/", handovers.ConfirmHandoverView.as_view(), name="handover-confirm"),
    path("handovers/<str:pk>/decline/", handovers.DeclineHandoverView.as_view(), name="handover-decline"),
    path("cases/<str:pk>/linked-persons/", links.LinkPersonView.as_view(), name="case-link-person"),
    path("linked-persons/<str:pk>/removal-requests/", links.RequestLinkRemovalView.as_view(),
         name="linked-person-request-removal"),
    path("link-removals/<str:pk>/decision/", links.DecideLinkRemovalView.as_view(), name="link-removal-decide"),
    path("cases/<str:pk>/companions/", family.AddCompanionView.as_view(), name="case-add-companion"),
    path("companions/<str:pk>/removal-requests/", family.RequestCompanionRemovalView.as_view(),
         name="companion-request-removal"),
    path("companion-removals/<str:pk>/decision/", family.DecideCompanionRemovalView.as_view(),
         name="companion-removal-decide"),
    path("inquiries/", exchanges.InquiryView.as_view(), name="inquiry-send"),
    path("inquiries/batch/", batch.BatchInquiryView.as_view(), name="inquiry-batch"),
    path("inquiries/batch/stream/", batch.BatchInquiryStreamView.as_view(), name="inquiry-batch-stream"),
    path("exchanges/<str:pk>/append-requests/", exchanges.FileAppendRequestView.as_view(), name="exchange-append"),
    path("manual-responses/<str:pk>/approve/", exchanges.ApproveManualResponseView.as_view(), name="manual-approve"),
    path("manual-responses/<str:pk>/decline/", exchanges.DeclineManualResponseView.as_view(), name="manual-decline"),
    path("", include(router.urls)),
]

sim_urls = [
    path("insurers/", sim_world.CreateInsurerView.as_view(), name="insurer-create"),
    path("insurers/<str:pk>/staff/", sim_world.CreateStaffView.as_view(), name="staff-create"),
    path("municipalities/", sim_world.CreateMunicipalityView.as_view(), name="municipality-create"),
    path("institutions/<str:pk>/replicas/", sim_peers.PeerReplicaView.as_view(), name="peer-replica"),
    path("institutions/<str:pk>/inquiries/", sim_peers.PeerInquiryView.as_view(), name="peer-inquiry"),
    path("institutions/<str:pk>/settings/", sim_peers.PeerSettingView.as_view(), name="peer-setting"),
    path("persons/", sim_world.CreatePersonView.as_view(), name="person-create"),
    path("persons/<str:sim_id>/enrolments/", sim_world.EnrolPersonView.as_view(), name="person-enrol"),
    path("persons/<str:sim_id>/cards/", sim_portal.ReissueCardView.as_view(), name="card-reissue"),
    path("cards/<str:card_number>/suspend/", sim_portal.SuspendCardView.as_view(), name="card-suspend"),
    path("portal/", sim_portal.PortalView.as_view(), name="portal"),
    path("portal/proxies/", sim_portal.NameProxyView.as_view(), name="proxy-name"),
    path("portal/proxies/remove/", sim_portal.RemoveProxyView.as_view(), name="proxy-remove"),
    path("nws/append-requests/process/", sim_peers.NwsProcessAppendRequestsView.as_view(), name="nws-append-process"),
]

# ReDoc (no personal data) comes from our own static files (drf-spectacular-sidecar), so no CDN host is allowed; it
# still injects its styles at run time and searches in a blob: worker: its own policy. Still no inline script.
DOCS_POLICY = csp_replace({
    "style-src": [SELF, "'unsafe-inline'"],
    "worker-src": [SELF, "blob:"],
})

urlpatterns = [
    path("v1/", include((v1, "v1"))),
    path("sim/", include((sim_urls, "sim"))),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # ReDoc from our own static files (SPECTACULAR_SETTINGS["REDOC_DIST"] = "SIDECAR"), under its own policy.
    path(
        "schema/docs/",
        DOCS_POLICY(SpectacularRedocView.as_view(url_name="api:schema", template_name="api/redoc.html")),
        name="docs",
    ),
    # ReDoc's script with its attribution logo served by us, not fetched from a CDN (api/docs.py).
    path("schema/docs/redoc.js", redoc_script, name="docs-script"),
    # Anything else under /api/ answers the JSON error body, not Django's HTML page.
    re_path(r"^.*$", common.not_found, name="not-found"),
]
