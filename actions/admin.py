"""Django admin for superusers: the same validation as the builder (the models' clean()).

Channels, actions, handoffs, agents and API keys keep their history (django-simple-history):
each object's *History* lists every version, who made it and what changed, and can revert to
one; *Recover deleted* lists deleted objects, whose history stays and can bring them back.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from simple_history.admin import SimpleHistoryAdmin

from actions.channels.forms import ChannelForm
from actions.models import (
    Agent,
    ApiKey,
    Handoff,
    HandoffLog,
    Message,
    MessageEvent,
    MessagingChannel,
    SendTextAction,
)

DELETED_SHOWN = 500


class HistoryAdmin(SimpleHistoryAdmin):
    """SimpleHistoryAdmin, plus a list of the deleted objects to recover from their history."""

    change_list_template = "admin/actions/change_list_with_deleted.html"

    def get_urls(self):
        opts = self.model._meta
        deleted = path(
            "deleted/",
            self.admin_site.admin_view(self.deleted_view),
            name=f"{opts.app_label}_{opts.model_name}_deleted",
        )
        return [deleted, *super().get_urls()]

    def deleted_view(self, request):
        """The deleted objects, newest first, each linking to its history (revert = recover)."""
        if not self.has_view_history_or_change_history_permission(request):
            raise PermissionDenied
        records = (
            self.model.history.filter(history_type="-")
            .exclude(id__in=self.model.objects.values("pk"))
            .select_related("history_user")
        )
        latest = {}
        for record in records[:DELETED_SHOWN]:
            latest.setdefault(record.id, record)
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "opts": opts,
            "title": f"Deleted {opts.verbose_name_plural}",
            "records": list(latest.values()),
            "can_recover": self.has_add_permission(request),
        }
        return render(request, "admin/actions/deleted.html", context)


@admin.register(MessagingChannel)
class MessagingChannelAdmin(HistoryAdmin):
    form = ChannelForm  # the auth token is write-only here too
    list_display = ["name", "provider", "sender", "account_sid"]
    search_fields = ["name", "sender"]


@admin.register(SendTextAction)
class SendTextActionAdmin(HistoryAdmin):
    list_display = ["name", "channel", "recipient_mode", "require_consent", "enabled"]
    list_filter = ["enabled", "channel", "recipient_mode"]
    search_fields = ["name", "description"]


class MessageEventInline(admin.TabularInline):
    model = MessageEvent
    extra = 0
    can_delete = False
    readonly_fields = ["status", "at", "detail", "data"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
    """The send log is written by the pipeline only: read-only here."""

    list_display = ["created_at", "action_name", "channel_name", "status", "error_code"]
    list_filter = ["status", "is_test", "environment"]
    inlines = [MessageEventInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Handoff)
class HandoffAdmin(HistoryAdmin):
    list_display = ["name", "method", "phone_number", "outbound_endpoint", "is_default"]
    list_filter = ["method", "is_default"]
    search_fields = ["name", "description", "phone_number"]


@admin.register(Agent)
class AgentAdmin(HistoryAdmin):
    list_display = ["name", "description"]
    search_fields = ["name", "description"]
    filter_horizontal = ["actions", "handoffs"]


@admin.register(ApiKey)
class ApiKeyAdmin(SimpleHistoryAdmin):
    """Keys are issued and revoked in the builder: read-only here, and never the hash.

    No recovering a deleted key either: without its hash it could never be used again.
    """

    list_display = ["prefix", "agent", "environment", "label", "created_at", "revoked_at"]
    list_filter = ["environment"]
    search_fields = ["prefix", "label", "agent__name"]
    fields = ["agent", "environment", "label", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HandoffLog)
class HandoffLogAdmin(admin.ModelAdmin):
    """Written by the API and the worker only: read-only here."""

    list_display = ["created_at", "handoff_name", "agent_name", "source", "outcome"]
    list_filter = ["outcome", "source", "environment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
