from django.contrib.auth import views as auth_views
from django.urls import path

from lasting.accounts import audit_views, mfa_views, token_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("two-step/", mfa_views.second_step, name="second_step"),
    path("two-step/set-up/", mfa_views.enrol_second_step, name="enrol_second_step"),
    path("two-step/recovery-codes/", mfa_views.new_recovery_codes, name="new_recovery_codes"),
    path("password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("password/forgotten/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "password/forgotten/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_sent.html"),
        name="password_reset_sent",
    ),
    path(
        "reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("tokens/", token_views.api_tokens, name="api_tokens"),
    path("tokens/<int:token_id>/revoke/", token_views.revoke_token, name="revoke_api_token"),
    path("organization/", views.organization, name="organization"),
    path("organization/audit/", audit_views.audit_trail, name="audit_trail"),
    path("organization/audit.csv", audit_views.audit_trail_csv, name="audit_trail_csv"),
    path("organization/crisis/<str:language>/", views.crisis_resource, name="crisis_resource"),
    path("organization/locations/new/", views.edit_location, name="new_location"),
    path("organization/locations/<int:location_id>/", views.edit_location, name="edit_location"),
    path("organization/people/invite/", views.invite, name="invite"),
    path("organization/people/<int:membership_id>/", views.edit_member, name="edit_member"),
    path(
        "organization/people/<int:membership_id>/two-step/reset/",
        mfa_views.reset_member_second_step,
        name="reset_member_second_step",
    ),
    path(
        "organization/invitations/<int:invitation_id>/revoke/",
        views.revoke,
        name="revoke_invitation",
    ),
    path("invitations/<str:token>/", views.accept, name="accept_invitation"),
]
