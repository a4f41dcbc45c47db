from django.contrib.auth import views as auth_views
from django.urls import path

from lasting.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("organization/", views.organization, name="organization"),
    path("organization/crisis/<str:language>/", views.crisis_resource, name="crisis_resource"),
    path("organization/locations/new/", views.edit_location, name="new_location"),
    path("organization/locations/<int:location_id>/", views.edit_location, name="edit_location"),
    path("organization/people/invite/", views.invite, name="invite"),
    path("organization/people/<int:membership_id>/", views.edit_member, name="edit_member"),
    path(
        "organization/invitations/<int:invitation_id>/revoke/",
        views.revoke,
        name="revoke_invitation",
    ),
    path("invitations/<str:token>/", views.accept, name="accept_invitation"),
]
