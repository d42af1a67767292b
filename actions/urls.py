from django.urls import path

from actions.views import first_run, health, pages

urlpatterns = [
    path("", pages.home, name="home"),
    path("setup/", first_run.first_run, name="first_run"),
    path("healthz", health.healthz, name="healthz"),
    path("actions/", pages.section("actions/list.html"), name="action_list"),
    path("handoffs/", pages.section("handoffs/list.html"), name="handoff_list"),
    path("channels/", pages.section("channels/list.html"), name="channel_list"),
    path("agents/", pages.section("agents/list.html"), name="agent_list"),
    path("send-log/", pages.section("sendlog/list.html"), name="sendlog_list"),
]
