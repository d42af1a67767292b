from django.urls import path

from actions.views import (
    actions,
    agents,
    channels,
    docs,
    first_run,
    handoffs,
    health,
    messages,
    pages,
    sendlog,
)

urlpatterns = [
    path("", pages.home, name="home"),
    path("setup/", first_run.first_run, name="first_run"),
    path("healthz", health.healthz, name="healthz"),
    # Send-text-message actions
    path("actions/", actions.action_list, name="action_list"),
    path("actions/new/", actions.action_form, name="action_create"),
    path("actions/preview/", actions.action_preview, name="action_preview"),
    path("actions/<int:pk>/", actions.action_form, name="action_edit"),
    path("actions/<int:pk>/preview/", actions.action_preview, name="action_preview_edit"),
    path("actions/<int:pk>/duplicate/", actions.action_duplicate, name="action_duplicate"),
    path("actions/<int:pk>/toggle/", actions.action_toggle, name="action_toggle"),
    path("actions/<int:pk>/delete/", actions.action_delete, name="action_delete"),
    path("actions/<int:pk>/try/", actions.action_try, name="action_try"),
    # Messaging channels
    path("channels/", channels.channel_list, name="channel_list"),
    path("channels/new/", channels.channel_form, name="channel_create"),
    path("channels/<int:pk>/", channels.channel_form, name="channel_edit"),
    path("channels/<int:pk>/delete/", channels.channel_delete, name="channel_delete"),
    path("channels/<int:pk>/test/", channels.channel_test, name="channel_test"),
    path("messages/<uuid:message_id>/status/", messages.message_status, name="message_status"),
    path("api/docs/", docs.api_docs, name="api_docs"),
    # Agents and API keys
    path("agents/", agents.agent_list, name="agent_list"),
    path("agents/new/", agents.agent_form, name="agent_create"),
    path("agents/<int:pk>/", agents.agent_form, name="agent_edit"),
    path("agents/<int:pk>/delete/", agents.agent_delete, name="agent_delete"),
    path("agents/<int:pk>/keys/", agents.agent_key_create, name="agent_key_create"),
    path(
        "agents/<int:pk>/keys/<int:key_id>/revoke/",
        agents.agent_key_revoke,
        name="agent_key_revoke",
    ),
    # Handoff destinations and their log
    path("handoffs/", handoffs.handoff_list, name="handoff_list"),
    path("handoffs/new/", handoffs.handoff_form, name="handoff_create"),
    path("handoffs/preview/", handoffs.handoff_preview, name="handoff_preview"),
    path("handoffs/log/", handoffs.handoff_log, name="handoff_log"),
    path("handoffs/<int:pk>/", handoffs.handoff_form, name="handoff_edit"),
    path("handoffs/<int:pk>/preview/", handoffs.handoff_preview, name="handoff_preview_edit"),
    path("handoffs/<int:pk>/duplicate/", handoffs.handoff_duplicate, name="handoff_duplicate"),
    path("handoffs/<int:pk>/delete/", handoffs.handoff_delete, name="handoff_delete"),
    # Not built yet
    path("send-log/", sendlog.sendlog_list, name="sendlog_list"),
    path("send-log/<uuid:message_id>/row/", sendlog.sendlog_row, name="sendlog_row"),
]
