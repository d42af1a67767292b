from django.shortcuts import get_object_or_404, render

from actions.models import Message


def message_status(request, message_id):
    """A message's status: the fragment the builder polls, or a small page without htmx."""
    message = get_object_or_404(Message, pk=message_id)
    template = "_message_status.html" if request.htmx else "message_status.html"
    return render(request, template, {"message": message})
