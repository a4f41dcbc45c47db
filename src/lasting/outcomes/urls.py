from django.urls import path

from lasting.outcomes import views

app_name = "outcomes"

urlpatterns = [
    path("", views.analytics, name="analytics"),
]
