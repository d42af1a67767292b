"""Agent pages: list, create and edit, delete; issuing and revoking API keys; Connect."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from actions import audit
from actions.agents import connect
from actions.agents import limits as agent_limits
from actions.agents.forms import AgentForm, ApiKeyForm
from actions.common.filters import NameSearchForm
from actions.common.forms import error_summary, keep_secret, kept_secret
from actions.common.pages import confirm, paginate, restore_version
from actions.models import Agent, ApiKey


def agent_connect(request, pk):
    """The Connect tab: per platform, the URL, the steps and the configurations to paste."""
    agent = get_object_or_404(Agent, pk=pk)
    context = {"agent": agent, "platforms": connect.platforms(agent)}
    return render(request, "agents/connect.html", context)


def agent_list(request):
    search = NameSearchForm(request.GET, placeholder="Name, identifier or description")
    agents = search.filter(
        Agent.objects.prefetch_related("actions", "handoffs", "api_keys"), "description"
    )
    page = paginate(request, agents)
    context = {"page": page, "agents": page.object_list, "search": search}
    return render(request, "agents/list.html", context)


def agent_form(request, pk=None):
    agent = get_object_or_404(Agent, pk=pk) if pk else Agent()
    form = AgentForm(request.POST or None, instance=agent, kept_secret=kept_secret(request))
    if request.method == "POST":
        keep_secret(request, form)
    if request.method == "POST" and form.is_valid():
        agent = form.save()
        messages.success(request, f"Agent “{agent.name}” saved.")
        return redirect("agent_edit", pk=agent.pk)
    context = {
        "form": form,
        "problems": error_summary(form),
        "agent": agent,
        "key_form": ApiKeyForm(),
        "keys": agent.api_keys.all() if agent.pk else [],
        "history": audit.history_of(agent) if pk else None,
        "refused": agent_limits.refused_today_for(agent) if pk else None,
    }
    return render(request, "agents/form.html", context)


# Where a new key waits, between the POST that issues it and the GET that shows it once.
NEW_KEY = "new_api_key"


@require_http_methods(["GET", "POST"])
def agent_key_create(request, pk):
    """Issue a key (POST), then show it once (the GET the POST redirects to).

    The plaintext waits in the session only until that GET takes it: reloading the page shows
    that the key cannot be shown again, and never issues a second key.
    """
    agent = get_object_or_404(Agent, pk=pk)
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose an environment for the key.")
            return redirect("agent_edit", pk=pk)
        key, plaintext = ApiKey.issue(
            agent, form.cleaned_data["environment"], form.cleaned_data["label"]
        )
        request.session[NEW_KEY] = {"agent": agent.pk, "key": key.pk, "plaintext": plaintext}
        return redirect("agent_key_create", pk=pk)
    waiting = request.session.pop(NEW_KEY, None)
    key = None
    if waiting and waiting.get("agent") == agent.pk:
        key = ApiKey.objects.filter(pk=waiting["key"], agent=agent).first()
    context = {"agent": agent, "key": key, "plaintext": waiting["plaintext"] if key else ""}
    response = render(request, "agents/key_created.html", context)
    response["Cache-Control"] = "no-store"
    return response


def agent_key_revoke(request, pk, key_id):
    agent = get_object_or_404(Agent, pk=pk)
    key = get_object_or_404(ApiKey, pk=key_id, agent=agent)
    if request.method == "POST":
        key.revoke()
        messages.success(request, f"Key {key.prefix}… revoked: calls with it are now refused.")
        return redirect("agent_edit", pk=pk)
    return confirm(
        request,
        heading=f"Revoke key {key.prefix}…?",
        explanation="Calls made with this key will be refused from now on. This cannot be "
        "undone: create a new key to replace it.",
        confirm_label="Revoke key",
        cancel_url=reverse("agent_edit", args=[agent.pk]),
    )


def agent_delete(request, pk):
    agent = get_object_or_404(Agent, pk=pk)
    if request.method == "POST":
        agent.delete()
        messages.success(request, f"Agent “{agent.name}” and its keys deleted.")
        return redirect("agent_list")
    return confirm(
        request,
        heading=f"Delete agent “{agent.name}”?",
        explanation="Its API keys stop working at once. Messages it sent stay in the send log.",
        confirm_label="Delete agent",
        cancel_url=reverse("agent_edit", args=[agent.pk]),
    )


def agent_restore(request, pk, version):
    """Restore the agent to an earlier version from its History, after a confirmation."""
    agent = get_object_or_404(Agent, pk=pk)
    return restore_version(request, agent, version, reverse("agent_edit", args=[pk]))
