"""The builder's pages, each with the permission it needs: this table is the access policy.

A user without the permission gets 403 (and the page that links here hides the link).
"""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from actions.accounts import views as users
from actions.accounts.access import need, need_any
from actions.agents import views as agents
from actions.api import views as api
from actions.channels import views as channels
from actions.compliance import consent, optouts
from actions.configfile import views as config
from actions.handoffs import views as handoffs
from actions.messaging import views as actions
from actions.ops import views as ops
from actions.sendlog import views as sendlog

urlpatterns = [
    path("", sendlog.home, name="home"),
    path("setup/", users.first_run, name="first_run"),
    path("healthz", ops.healthz, name="healthz"),
    path("api/docs/", api.api_docs, name="api_docs"),
    # Send-text-message actions
    path("actions/", need("actions.view_sendtextaction", actions.action_list), name="action_list"),
    path(
        "actions/new/",
        need("actions.add_sendtextaction", actions.action_form),
        name="action_create",
    ),
    path(
        "actions/preview/",
        need("actions.view_sendtextaction", actions.action_preview),
        name="action_preview",
    ),
    path(
        "actions/<int:pk>/",
        need("actions.change_sendtextaction", actions.action_form),
        name="action_edit",
    ),
    path(
        "actions/<int:pk>/preview/",
        need("actions.view_sendtextaction", actions.action_preview),
        name="action_preview_edit",
    ),
    path(
        "actions/<int:pk>/duplicate/",
        need("actions.add_sendtextaction", actions.action_duplicate),
        name="action_duplicate",
    ),
    path(
        "actions/<int:pk>/toggle/",
        need("actions.change_sendtextaction", actions.action_toggle),
        name="action_toggle",
    ),
    path(
        "actions/<int:pk>/delete/",
        need("actions.delete_sendtextaction", actions.action_delete),
        name="action_delete",
    ),
    path(
        "actions/<int:pk>/restore/<int:version>/",
        need("actions.change_sendtextaction", actions.action_restore),
        name="action_restore",
    ),
    path(
        "actions/<int:pk>/try/", need("actions.try_action", actions.action_try), name="action_try"
    ),
    # Messaging channels
    path(
        "channels/",
        need("actions.view_messagingchannel", channels.channel_list),
        name="channel_list",
    ),
    path(
        "channels/new/",
        need("actions.add_messagingchannel", channels.channel_form),
        name="channel_create",
    ),
    path(
        "channels/<int:pk>/",
        need("actions.change_messagingchannel", channels.channel_form),
        name="channel_edit",
    ),
    path(
        "channels/<int:pk>/delete/",
        need("actions.delete_messagingchannel", channels.channel_delete),
        name="channel_delete",
    ),
    path(
        "channels/<int:pk>/restore/<int:version>/",
        need("actions.change_messagingchannel", channels.channel_restore),
        name="channel_restore",
    ),
    path(
        "channels/<int:pk>/test/",
        need("actions.change_messagingchannel", channels.channel_test),
        name="channel_test",
    ),
    # The status of a message sent by Try-it or a channel test, polled by those pages.
    path(
        "messages/<uuid:message_id>/status/",
        need_any(
            ("actions.try_action", "actions.change_messagingchannel", "actions.view_message"),
            actions.message_status,
        ),
        name="message_status",
    ),
    # Agents and API keys
    path("agents/", need("actions.view_agent", agents.agent_list), name="agent_list"),
    path("agents/new/", need("actions.add_agent", agents.agent_form), name="agent_create"),
    path("agents/<int:pk>/", need("actions.change_agent", agents.agent_form), name="agent_edit"),
    path(
        "agents/<int:pk>/connect/",
        need("actions.change_agent", agents.agent_connect),
        name="agent_connect",
    ),
    path(
        "agents/<int:pk>/delete/",
        need("actions.delete_agent", agents.agent_delete),
        name="agent_delete",
    ),
    path(
        "agents/<int:pk>/restore/<int:version>/",
        need("actions.change_agent", agents.agent_restore),
        name="agent_restore",
    ),
    path(
        "agents/<int:pk>/keys/",
        need("actions.add_apikey", agents.agent_key_create),
        name="agent_key_create",
    ),
    path(
        "agents/<int:pk>/keys/<int:key_id>/revoke/",
        need("actions.change_apikey", agents.agent_key_revoke),
        name="agent_key_revoke",
    ),
    # Handoff destinations and their log
    path("handoffs/", need("actions.view_handoff", handoffs.handoff_list), name="handoff_list"),
    path(
        "handoffs/new/", need("actions.add_handoff", handoffs.handoff_form), name="handoff_create"
    ),
    path(
        "handoffs/preview/",
        need("actions.view_handoff", handoffs.handoff_preview),
        name="handoff_preview",
    ),
    path(
        "handoffs/log/", need("actions.view_handofflog", handoffs.handoff_log), name="handoff_log"
    ),
    path(
        "handoffs/<int:pk>/",
        need("actions.change_handoff", handoffs.handoff_form),
        name="handoff_edit",
    ),
    path(
        "handoffs/<int:pk>/preview/",
        need("actions.view_handoff", handoffs.handoff_preview),
        name="handoff_preview_edit",
    ),
    path(
        "handoffs/<int:pk>/simulate/",
        need("actions.view_handoff", handoffs.handoff_simulate),
        name="handoff_simulate",
    ),
    path(
        "handoffs/<int:pk>/duplicate/",
        need("actions.add_handoff", handoffs.handoff_duplicate),
        name="handoff_duplicate",
    ),
    path(
        "handoffs/<int:pk>/delete/",
        need("actions.delete_handoff", handoffs.handoff_delete),
        name="handoff_delete",
    ),
    path(
        "handoffs/<int:pk>/restore/<int:version>/",
        need("actions.change_handoff", handoffs.handoff_restore),
        name="handoff_restore",
    ),
    # The send log
    path("send-log/", need("actions.view_message", sendlog.sendlog_list), name="sendlog_list"),
    path(
        "send-log/export.csv",
        need("actions.export_messages", sendlog.sendlog_export),
        name="sendlog_export",
    ),
    path(
        "send-log/<uuid:message_id>/",
        need("actions.view_message", sendlog.message_detail),
        name="message_detail",
    ),
    path(
        "send-log/<uuid:message_id>/row/",
        need("actions.view_message", sendlog.sendlog_row),
        name="sendlog_row",
    ),
    path(
        "send-log/<uuid:message_id>/resend/",
        need("actions.resend_message", sendlog.message_resend),
        name="message_resend",
    ),
    # Compliance: the consent ledger, the opt-outs, a channel's public opt-in policy
    path("consent/", need("actions.view_consentrecord", consent.consent_list), name="consent_list"),
    path(
        "consent/export.csv",
        need(("actions.view_consentrecord", "actions.export_messages"), consent.consent_export),
        name="consent_export",
    ),
    path("opt-outs/", need("actions.view_optout", optouts.optout_list), name="optout_list"),
    path("opt-outs/add/", need("actions.add_optout", optouts.optout_add), name="optout_add"),
    path(
        "opt-outs/<int:pk>/remove/",
        need("actions.delete_optout", optouts.optout_remove),
        name="optout_remove",
    ),
    path(
        "opt-outs/import/", need("actions.add_optout", optouts.optout_import), name="optout_import"
    ),
    path(
        "opt-outs/export.csv",
        need(("actions.view_optout", "actions.export_messages"), optouts.optout_export),
        name="optout_export",
    ),
    path("opt-in/<slug:name>/", login_not_required(optouts.opt_in_policy), name="opt_in_policy"),
    # Configuration as code: the whole setup as one YAML file
    path("config/", need("actions.manage_config", config.config_page), name="config"),
    path(
        "config/export.yaml",
        need("actions.manage_config", config.config_export),
        name="config_export",
    ),
    path(
        "config/import/",
        need("actions.manage_config", config.config_import),
        name="config_import",
    ),
    # Users and their roles
    path("users/", need("auth.view_user", users.user_list), name="user_list"),
    path("users/new/", need("auth.add_user", users.user_create), name="user_create"),
    path("users/<int:pk>/", need("auth.change_user", users.user_edit), name="user_edit"),
]
