from django.contrib.auth import views as auth_views
from django.urls import path

from console.views import auditor, cases, companions, exchanges, handovers, home, inquiries, links, members, supervisor

app_name = "console"

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(template_name="console/login.html"), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("", home.home, name="home"),
    path("preferences/", home.preferences, name="preferences"),
    # 担当者 (and read by 監査者)
    path("members/", members.member_search, name="member_search"),
    path("members/<int:pk>/", members.member_detail, name="member_detail"),
    path("members/<int:member_pk>/cases/new/", cases.case_new, name="case_new"),
    path("settings/<int:pk>/request-clearing/", members.setting_request_clearing, name="setting_request_clearing"),
    path("cases/", cases.case_list, name="case_list"),
    path("cases/<int:pk>/", cases.case_detail, name="case_detail"),
    path("cases/<int:pk>/exposure/", cases.case_exposure, name="case_exposure"),
    path("cases/<int:pk>/handover/", handovers.handover_offer, name="handover_offer"),
    path("cases/<int:pk>/review-date/", cases.case_review_date, name="case_review_date"),
    path("cases/<int:pk>/close/", cases.case_close_request, name="case_close_request"),
    path("cases/<int:pk>/linked-persons/new/", links.link_new, name="link_new"),
    path("linked-persons/<int:pk>/request-removal/", links.link_request_removal, name="link_request_removal"),
    path("link-removals/<int:pk>/", links.link_removal_detail, name="link_removal_detail"),
    path("cases/<int:pk>/companions/new/", companions.companion_new, name="companion_new"),
    path("companions/<int:pk>/request-removal/", companions.companion_request_removal,
         name="companion_request_removal"),
    path("companion-removals/<int:pk>/", companions.companion_removal_detail, name="companion_removal_detail"),
    path("inquiries/new/", inquiries.inquiry_new, name="inquiry_new"),
    path("exchanges/", exchanges.exchange_list, name="exchange_list"),
    path("exchanges/<uuid:pk>/", exchanges.exchange_detail, name="exchange_detail"),
    path("append-requests/", exchanges.append_list, name="append_list"),
    path("manual-responses/", exchanges.manual_queue, name="manual_queue"),
    path("manual-responses/<uuid:pk>/", exchanges.manual_response, name="manual_response"),
    # 責任者
    path("dashboard/", supervisor.dashboard, name="dashboard"),
    path("clearing-requests/", supervisor.clearing_list, name="clearing_list"),
    path("clearing-requests/<int:pk>/", supervisor.clearing_detail, name="clearing_detail"),
    path("handovers/", handovers.handover_list, name="handover_list"),
    path("handovers/<int:pk>/", handovers.handover_detail, name="handover_detail"),
    path("case-closures/<int:pk>/", cases.closure_detail, name="closure_detail"),
    path("staff/", supervisor.staff_list, name="staff_list"),
    path("staff/new/", supervisor.staff_new, name="staff_new"),
    path("staff/<int:pk>/", supervisor.staff_detail, name="staff_detail"),
    path("staff/role-requests/", supervisor.role_grant_list, name="role_grant_list"),
    path("staff/role-requests/<int:pk>/", supervisor.role_grant_detail, name="role_grant_detail"),
    # 監査者
    path("audit-trail/", auditor.audit_trail, name="audit_trail"),
    path("audit-trail/csv/", auditor.audit_trail_csv, name="audit_trail_csv"),
]
