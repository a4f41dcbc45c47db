from django.urls import path

from lasting.portal import views

app_name = "portal"

urlpatterns = [
    path("c/<str:token>/", views.checkin, name="checkin"),
]
