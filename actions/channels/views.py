"""Messaging channel pages: list, create and edit, delete, and the test message."""

from django.contrib import messages
from django.db.models import ProtectedError
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.views.decorators.http import require_POST

from actions import audit
from actions.channels.forms import ChannelForm, TestMessageForm
from actions.common.filters import NameSearchForm
from actions.common.forms import error_summary, keep_secret, kept_secret
from actions.common.pages import confirm, paginate, restore_version
from actions.messaging import outbox
from actions.models import Message, MessagingChannel
from actions.sendlog import detail


def channel_list(request):
    search = NameSearchForm(request.GET, placeholder="Name, identifier or sender")
    channels = search.filter(MessagingChannel.objects.all(), "sender")
    page = paginate(request, channels)
    context = {"page": page, "channels": page.object_list, "search": search}
    return render(request, "channels/list.html", context)


def channel_form(request, pk=None):
    channel = get_object_or_404(MessagingChannel, pk=pk) if pk else MessagingChannel()
    form = ChannelForm(request.POST or None, instance=channel, kept_secret=kept_secret(request))
    if request.method == "POST":
        keep_secret(request, form)
    if request.method == "POST" and form.is_valid():
        channel = form.save()
        messages.success(request, f"Channel “{channel.name}” saved.")
        return redirect("channel_edit", pk=channel.pk)
    context = {"form": form, "channel": channel, "test_form": TestMessageForm()}
    context["problems"] = error_summary(form)
    context["history"] = audit.history_of(channel) if pk else None
    return render(request, "channels/form.html", context)


def channel_delete(request, pk):
    channel = get_object_or_404(MessagingChannel, pk=pk)
    used_by = list(channel.actions.order_by("name").values_list("name", flat=True))
    if request.method == "POST" and not used_by:
        try:
            channel.delete()
        except ProtectedError:  # an action took it up since the page was shown
            return redirect("channel_delete", pk=pk)
        messages.success(request, f"Channel “{channel.name}” deleted.")
        return redirect("channel_list")
    count = len(used_by)
    return confirm(
        request,
        heading=f"Delete channel “{channel.name}”?",
        explanation="The channel and its stored credentials are removed. Messages already "
        "sent stay in the send log.",
        confirm_label="Delete channel",
        cancel_url=reverse("channel_edit", args=[channel.pk]),
        blocked=used_by,
        blocked_reason=f"This channel cannot be deleted: {count} action{pluralize(count)} "
        f"send{'s' if count == 1 else ''} through it. Move {'it' if count == 1 else 'them'} "
        "to another channel, or delete them, first.",
    )


TEST_BODY = "This is a test message from Switchboard, sent through the channel “{name}”."


@require_POST
def channel_test(request, pk):
    """Queue one test SMS through the worker; the page then polls its status."""
    channel = get_object_or_404(MessagingChannel, pk=pk)
    form = TestMessageForm(request.POST)
    if not form.is_valid():
        return render(
            request, "channels/form.html#test-panel", {"channel": channel, "test_form": form}
        )
    environment = form.cleaned_data["environment"]
    message = Message(
        channel=channel,
        channel_name=channel.name,
        is_test=True,
        environment=environment,
        to=form.cleaned_data["to"],
        sender=channel.sender_for(environment) if environment else channel.sender,
        body=TEST_BODY.format(name=channel.name),
        provider=channel.provider,
    )
    if not outbox.create(message, "Test message from the builder"):
        form.add_error("to", "This number has opted out of text messages from this sender.")
        return render(
            request, "channels/form.html#test-panel", {"channel": channel, "test_form": form}
        )
    if not request.htmx:
        return redirect("message_status", message_id=message.pk)
    context = {"channel": channel, "test_form": TestMessageForm()}
    context.update(detail.status_context(message, request.user))
    return render(request, "channels/form.html#test-panel", context)


def channel_restore(request, pk, version):
    """Restore the channel to an earlier version from its History, after a confirmation."""
    channel = get_object_or_404(MessagingChannel, pk=pk)
    return restore_version(request, channel, version, reverse("channel_edit", args=[pk]))
