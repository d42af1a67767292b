"""What the builder's pages share: the page size, paging, the confirmation page, copy names."""

from django.core.paginator import Page, Paginator
from django.shortcuts import render

# Rows on one page of every list (the send log's keyset pages included).
PAGE_SIZE = 50


def paginate(request, rows) -> Page:
    """The page of `rows` that the request's ?page= asks for (the first when it is no page)."""
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


def confirm(request, **context):
    """The confirmation page of a destructive action (its POST does the deed)."""
    return render(request, "confirm.html", context)


def unique_copy_name(model, name: str) -> str:
    """A free name for a duplicate: NAME_copy, then NAME_copy2, … (64 characters at most)."""
    base = f"{name[:57]}_copy"
    candidate, n = base, 2
    while model.objects.filter(name=candidate).exists():
        candidate, n = f"{base}{n}", n + 1
    return candidate
