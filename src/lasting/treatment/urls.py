from django.urls import path

from lasting.treatment import views

app_name = "treatment"

urlpatterns = [
    path("rems-forms/", views.monitoring_forms, name="monitoring_forms"),
    path("sessions/<int:session_id>/rems-form/", views.monitoring_form, name="monitoring_form"),
    path("exports/life-context.csv", views.life_context_export, name="life_context_export"),
]
