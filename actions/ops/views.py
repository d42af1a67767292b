"""GET /healthz."""

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from actions.ops.health import OK, health


@login_not_required
@never_cache
@require_GET
def healthz(request):
    parts = health()
    status = 200 if all(value == OK for value in parts.values()) else 503
    return JsonResponse(parts, status=status)
