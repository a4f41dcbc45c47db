from django.urls import path

from lasting.reports import views

app_name = "reports"

urlpatterns = [
    path("patients/<int:patient_id>/report/", views.clinician_report, name="clinician"),
    path("patients/<int:patient_id>/report.pdf", views.clinician_report_pdf, name="clinician_pdf"),
    path("me/report/", views.patient_report, name="patient"),
    path("me/report.pdf", views.patient_report_pdf, name="patient_pdf"),
]
