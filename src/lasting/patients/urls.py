from django.urls import path

from lasting.patients import views

app_name = "patients"

urlpatterns = [
    path("new/", views.new_patient, name="new"),
]
