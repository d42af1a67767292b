from django.http import HttpResponseBadRequest, StreamingHttpResponse

from actions import export, sendlog
from actions.forms import SendLogFilterForm
from actions.models import Message


def sendlog_export(request):
    """The list's current filtered view as a CSV download, streamed; bad filters are a 400."""
    form = SendLogFilterForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest(
            export.filter_errors(form), content_type="text/plain; charset=utf-8"
        )
    messages = form.filter(Message.objects.all())
    chunks = export.csv_chunks(messages, unmasked=sendlog.can_see_numbers(request.user))
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.filename()}"'
    # Proxies that buffer (nginx) would hold a million rows back: pass them on as they come.
    response["X-Accel-Buffering"] = "no"
    return response
