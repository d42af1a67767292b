"""Agent pages: list, create and edit, delete; issuing and revoking API keys; Connect."""

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from actions import audit
from actions.agents import connect
from actions.agents import limits as agent_limits
from actions.agents.forms import AgentForm, ApiKeyForm
from actions.common.pages import confirm
from actions.models import Agent, ApiKey


def agent_connect(request, pk):
    """The Connect tab: per platform, the URL, the steps and the configurations to paste."""
    agent = get_object_or_404(Agent, pk=pk)
    context = {"agent": agent, "platforms": connect.platforms(agent)}
    return render(request, "agents/connect.html", context)


def agent_list(request):
    agents = Agent.objects.prefetch_related("actions", "handoffs", "api_keys")
    return render(request, "agents/list.html", {"agents": agents})


def agent_form(request, pk=None):
    agent = get_object_or_404(Agent, pk=pk) if pk else Agent()
    form = AgentForm(request.POST or None, instance=agent)
    if request.method == "POST" and form.is_valid():
        agent = form.save()
        messages.success(request, f"Agent “{agent.name}” saved.")
        return redirect("agent_edit", pk=agent.pk)
    context = {
        "form": form,
        "agent": agent,
        "key_form": ApiKeyForm(),
        "keys": agent.api_keys.all() if agent.pk else [],
        "history": audit.history_of(agent) if pk else None,
        "refused": agent_limits.refused_today_for(agent) if pk else None,
    }
    return render(request, "agents/form.html", context)


@require_POST
def agent_key_create(request, pk):
    """Issue a key and show it once, on this response only."""
    agent = get_object_or_404(Agent, pk=pk)
    form = ApiKeyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose an environment for the key.")
        return redirect("agent_edit", pk=pk)
    key, plaintext = ApiKey.issue(
        agent, form.cleaned_data["environment"], form.cleaned_data["label"]
    )
    context = {"agent": agent, "key": key, "plaintext": plaintext}
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
