"""Every page of the builder, as each role opens it, at a phone's width and a laptop's: no
page wider than its viewport, no console error (a Content-Security-Policy refusal included),
no failed request, no serious or critical accessibility violation found by axe-core, headings
in order, and no box scrolling sideways without a cue.

The pages are the role table of tests/unit/test_roles.py (every named URL), opened with data
in them; those answering files (CSV, YAML) or only a POST are left out.
"""

import os
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe

from actions.accounts import access
from actions.models import ConsentRecord, HandoffLog, Message
from tests.unit import test_roles
from tests.unit.test_roles import PAGES, POST_ONLY, A, B, R, url_for, user_with

objects = test_roles.objects  # the role table's objects, as a fixture of this module too

pytestmark = pytest.mark.browser

SIZES = [(390, 844), (1366, 900)]
# PAGE_SHOTS=1: a full-page screenshot of every page at both sizes, as the Admin sees it (the
# Admin opens them all), in var/test-artifacts/pages/ — to look at, not part of the check.
SHOTS = Path("var/test-artifacts/pages")
SHOTS_WANTED = bool(os.environ.get("PAGE_SHOTS"))
FILES = {"sendlog_export", "consent_export", "optout_export", "config_export"}
# Parts of a page that htmx fetches into it, not pages (no <html>, no title of their own).
FRAGMENTS = {"action_preview", "action_preview_edit", "sendlog_row"}
SERIOUS = {"serious", "critical"}
# Headings in order: one h1, and no level skipped on the way down (h2 then h4).
HEADING_PROBLEMS = """() => {
    const levels = [...document.querySelectorAll('main :is(h1, h2, h3, h4, h5, h6)')]
        .map(h => Number(h.tagName[1]));
    const problems = [];
    const ones = levels.filter(l => l === 1).length;
    if (ones !== 1) problems.push(`${ones} h1`);
    levels.forEach((level, i) => {
        if (i && level > levels[i - 1] + 1) problems.push(`h${levels[i - 1]} then h${level}`);
    });
    return problems;
}"""
# Each box that scrolls sideways without the cue that it does (the edge shadow of .table-scroll).
NO_SCROLL_CUE = """() => [...document.querySelectorAll('main *')].filter(e =>
    e.scrollWidth > e.clientWidth + 1 && ['auto', 'scroll'].includes(getComputedStyle(e).overflowX)
    && e.tagName !== 'PRE' && !e.closest('pre')
    && !getComputedStyle(e).backgroundImage.includes('radial-gradient'))
    .map(e => e.className || e.tagName)"""
# Each aria-describedby id that names no element on the page (a help text never linked).
DANGLING_DESCRIPTIONS = """() => [...document.querySelectorAll('[aria-describedby]')].flatMap(
    e => e.getAttribute('aria-describedby').split(/\\s+/).filter(id => id &&
        !document.getElementById(id)).map(id => `${e.id || e.name}: ${id}`))"""


@pytest.fixture
def data(objects):
    message = Message.objects.get()
    Message.objects.create(
        to="+447700900124", sender="+15005550006", body="Hi again", provider="console",
        status="delivered", action_name="send_booking_confirmation",
    )  # fmt: skip
    HandoffLog.objects.create(handoff_name="support", outcome="redirected")
    ConsentRecord.objects.create(
        message=message, action_name="send_booking_confirmation", channel_name="c",
        sender="+15005550006", number="+447700900123", reported=True, prompt="May I text you?",
    )  # fmt: skip
    return objects


@pytest.mark.parametrize("role", [A, B, R])
def test_every_page_fits_loads_cleanly_and_has_no_serious_accessibility_violation(
    role, data, page, live_server, client, user_in_role, django_user_model
):
    user = user_with(role, user_in_role, django_user_model)
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])
    failed = []
    page.on("requestfailed", lambda r: failed.append(f"{r.url} {r.failure}"))
    page.on("response", lambda r: failed.append(f"{r.url} {r.status}") if r.status >= 400 else None)
    axe = Axe()
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    names = [
        n for n in PAGES
        if n not in POST_ONLY | FILES | FRAGMENTS and access.may(user, n)
    ]  # fmt: skip
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for name in names:
            failed.clear()
            page.console_errors.clear()
            page.goto(url_for(name, data))
            page.wait_for_load_state("load")
            where = f"{name} at {width}px as {role}"
            assert "/login/" not in page.url, f"{where}: not logged in"
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 1:
                problems.append(f"{where}: {overflow} px wider than the viewport")
            problems += [f"{where}: console: {e}" for e in page.console_errors]
            dangling = page.evaluate(DANGLING_DESCRIPTIONS)
            problems += [f"{where}: aria-describedby names no element: {d}" for d in dangling]
            problems += [f"{where}: request: {f}" for f in failed]
            problems += [f"{where}: headings: {h}" for h in page.evaluate(HEADING_PROBLEMS)]
            cueless = page.evaluate(NO_SCROLL_CUE)
            problems += [f"{where}: scrolls sideways without a cue: {c}" for c in cueless]
            if SHOTS_WANTED and role == A:  # every page at both sizes, to look at
                shot = SHOTS / f"{name}-{width}.png"
                page.screenshot(path=str(shot), full_page=True)
            for violation in axe.run(page).response["violations"]:
                if violation["impact"] in SERIOUS:
                    targets = [n["target"] for n in violation["nodes"][:3]]
                    problems.append(
                        f"{where}: axe {violation['id']} ({violation['impact']}) {targets}"
                    )
    assert problems == [], "\n".join(problems)
