from django.urls import path

from lasting.portal import life_events, sign_in_views, views

app_name = "portal"

urlpatterns = [
    path("c/<str:token>/", views.checkin, name="checkin"),
    path("me/", views.home, name="home"),
    path("me/life-event/", life_events.report_life_event, name="report_life_event"),
    path("me/plan/", views.prevention_plan, name="prevention_plan"),
    path("me/sign-in/", sign_in_views.sign_in, name="sign_in"),
    path("me/sign-in/sent/", sign_in_views.sign_in_sent, name="sign_in_sent"),
    path("me/sign-in/<str:token>/", sign_in_views.sign_in_link, name="sign_in_link"),
    path("me/sign-out/", sign_in_views.sign_out, name="sign_out"),
]
