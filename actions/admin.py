"""Django admin for superusers: the same validation as the builder (the models' clean())."""

from django.contrib import admin

from actions.forms import ChannelForm
from actions.models import (
    Handoff,
    HandoffLog,
    Message,
    MessageEvent,
    MessagingChannel,
    SendTextAction,
)


@admin.register(MessagingChannel)
class MessagingChannelAdmin(admin.ModelAdmin):
    form = ChannelForm  # the auth token is write-only here too
    list_display = ["name", "provider", "sender", "account_sid"]
    search_fields = ["name", "sender"]


@admin.register(SendTextAction)
class SendTextActionAdmin(admin.ModelAdmin):
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
class HandoffAdmin(admin.ModelAdmin):
    list_display = ["name", "method", "phone_number", "outbound_endpoint", "is_default"]
    list_filter = ["method", "is_default"]
    search_fields = ["name", "description", "phone_number"]


@admin.register(HandoffLog)
class HandoffLogAdmin(admin.ModelAdmin):
    """Written by the API and the worker only: read-only here."""

    list_display = ["created_at", "handoff_name", "agent_name", "source", "outcome"]
    list_filter = ["outcome", "source", "environment"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
