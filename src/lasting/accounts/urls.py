from django.contrib.auth import views as auth_views
from django.urls import path

from lasting.accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("organization/", views.organization, name="organization"),
    path("organization/crisis/<str:language>/", views.crisis_resource, name="crisis_resource"),
]
