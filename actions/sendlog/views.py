"""The home page (the dashboard) and the send log: list, one message, resend, CSV export."""

from django.contrib import messages as notices
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse

from actions.agents import limits as agent_limits
from actions.common.htmx import HtmxHttpRequest
from actions.common.pages import confirm
from actions.messaging import provider_errors
from actions.models import Message
from actions.sendlog import dashboard, detail, export, onboarding, query, resend
from actions.sendlog.forms import SendLogFilterForm


def sendlog_list(request):
    """Every message, newest first, filtered by the query string; cut by a cursor."""
    form = SendLogFilterForm(request.GET)
    rows = form.filter(Message.objects.all())
    try:
        page = query.page(rows, request.GET.get("after", ""))
    except query.BadCursor as exc:
        notices.warning(request, str(exc))
        page = query.page(rows)
    context = {
        "form": form,
        "page": page,
        "unmasked": query.can_see_numbers(request.user),
        "filtered": any(request.GET.get(name) for name in form.fields),
        # Refused texts write no message: the list says how many there were instead.
        "refused": agent_limits.refused_today(),
    }
    return render(request, "sendlog/list.html", context)


def sendlog_row(request, message_id):
    """One row, for the list to poll while the message is on its way."""
    message = get_object_or_404(Message, pk=message_id)
    context = {"message": message, "unmasked": query.can_see_numbers(request.user)}
    return render(request, "sendlog/list.html#row", context)


def message_detail(request: HtmxHttpRequest, message_id):
    """One message: everything about it, and its timeline (polled while it is on its way)."""
    message = get_object_or_404(Message, pk=message_id)
    unmasked = query.can_see_numbers(request.user)
    error_message = message.error_message if unmasked else message.masked(message.error_message)
    context = {
        "message": message,
        "unmasked": unmasked,
        "steps": detail.timeline(message, unmasked),
        "error": provider_errors.explain(message.error_code),
        "error_message": error_message,
        "resend_refusal": resend.resend_refusal(message),
    }
    if request.htmx:
        return render(request, "sendlog/detail.html#live", context)
    context.update(
        body=message.body if unmasked else message.masked(message.body),
        parameters=detail.pretty_json(message.parameters, message, unmasked),
        variables=detail.pretty_json(message.variables, message, unmasked),
        resends=message.resends.order_by("created_at"),
    )
    return render(request, "sendlog/detail.html", context)


def message_resend(request, message_id):
    """Confirm, then (POST) queue a new message repeating a failed or undelivered one."""
    message = get_object_or_404(Message, pk=message_id)
    back = reverse("message_detail", args=[message.pk])
    refusal = resend.resend_refusal(message)
    if request.method == "POST" and not refusal:
        try:
            copy = resend.resend(message, by=request.user.get_username())
        except resend.ResendRefused as exc:
            refusal = str(exc)
        else:
            notices.success(request, "Resent: a new message was queued. This is its page.")
            return redirect("message_detail", message_id=copy.pk)
    if refusal:
        notices.error(request, f"Not resent. {refusal}")
        return redirect(back)
    to = message.to if query.can_see_numbers(request.user) else message.to_masked
    return confirm(
        request,
        heading="Resend this message?",
        explanation=f"A new message with the same text will be queued to {to} from "
        f"{message.sender}, through the channel “{message.channel_name}”. This one stays in "
        "the send log as it is, and links to the new one.",
        confirm_label="Resend",
        cancel_url=back,
        gentle=True,
    )


def sendlog_export(request):
    """The list's current filtered view as a CSV download, streamed; bad filters are a 400."""
    form = SendLogFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(
            export.filter_errors(form), content_type="text/plain; charset=utf-8"
        )
    messages = form.filter(Message.objects.all())
    chunks = export.csv_chunks(messages, unmasked=query.can_see_numbers(request.user))
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename()}"'
    # Proxies that buffer (nginx) would hold a million rows back: pass them on as they come.
    response["X-Accel-Buffering"] = "no"
    return response


def home(request):
    """The dashboard for those who read the send log; quick links for everyone."""
    context = {"first_steps": onboarding.steps(request.user)}
    if request.user.has_perm("actions.view_message"):
        tests = request.GET.get("tests", "")
        tests = tests if tests in dict(query.TESTS_CHOICES) else ""
        context["board"] = dashboard.summary(tests=tests)
        context["tests"] = tests
        context["tests_choices"] = query.TESTS_CHOICES
        # Every link into the send log carries the same choice of origin.
        base = reverse("sendlog_list")
        context["sendlog_q"] = f"{base}?tests={tests}&" if tests else f"{base}?"
    return render(request, "home.html", context)
