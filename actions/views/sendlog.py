from django.contrib import messages as notices
from django.shortcuts import get_object_or_404, render

from actions import sendlog
from actions.forms import SendLogFilterForm
from actions.models import Message


def sendlog_list(request):
    """Every message, newest first, filtered by the query string; cut by a cursor."""
    form = SendLogFilterForm(request.GET)
    rows = form.filter(Message.objects.all())
    try:
        page = sendlog.page(rows, request.GET.get("after", ""))
    except sendlog.BadCursor as exc:
        notices.warning(request, str(exc))
        page = sendlog.page(rows)
    context = {
        "form": form,
        "page": page,
        "unmasked": sendlog.can_see_numbers(request.user),
        "filtered": any(request.GET.get(name) for name in form.fields),
    }
    return render(request, "sendlog/list.html", context)


def sendlog_row(request, message_id):
    """One row, for the list to poll while the message is on its way."""
    message = get_object_or_404(Message, pk=message_id)
    context = {"message": message, "unmasked": sendlog.can_see_numbers(request.user)}
    return render(request, "sendlog/list.html#row", context)
