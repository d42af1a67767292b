"""Everything usable by keyboard alone, with the focus always visible: the skip link, the
folded navigation at a phone's width, and a whole handoff built and saved without a mouse."""

import pytest
from playwright.sync_api import expect

from actions.models import Handoff

pytestmark = pytest.mark.browser

# Whether the focused element shows that it has the focus: its outline, focus ring, border or
# background (or, for the skip link, its place) differ from how it looks without the focus.
# Transitions off (reduced motion), so that the look is read as it ends, not as it starts.
FOCUS_SHOWN = """() => {
    const e = document.activeElement;
    const look = () => { const s = getComputedStyle(e);
        return [s.outlineStyle, s.outlineWidth, s.outlineColor, s.boxShadow, s.borderColor,
                s.backgroundColor, s.textDecorationLine, s.transform, s.top, s.left,
                s.clipPath].join('|'); };
    const focused = look();
    e.blur();
    const blurred = look();
    e.focus({focusVisible: true});
    return focused !== blurred;
}"""
FOCUSED = """() => { const e = document.activeElement;
    return e.id || e.name || e.textContent.trim().slice(0, 30); }"""


def tab_to(page, selector: str, text: str = "", limit: int = 80) -> list[str]:
    """Tab until `selector` (with `text`, when given) has the focus; the stops passed whose
    focus did not show."""
    unseen = []
    check = f"""() => {{ const e = document.activeElement;
        return e.matches({selector!r}) && e.textContent.trim().startsWith({text!r}); }}"""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if not page.evaluate(FOCUS_SHOWN):
            unseen.append(page.evaluate(FOCUSED))
        if page.evaluate(check):
            return unseen
    raise AssertionError(f"{selector} {text} never took the focus in {limit} tabs")


def test_the_navigation_works_by_keyboard_at_a_phones_width(admin_page):
    page = admin_page
    page.emulate_media(reduced_motion="reduce")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to the content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    assert page.evaluate(FOCUS_SHOWN)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    menu = page.get_by_role("button", name="Menu")
    expect(menu).to_be_focused()
    assert page.evaluate(FOCUS_SHOWN)
    page.keyboard.press("Enter")
    expect(menu).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    actions = page.locator("#nav-links").get_by_role("link", name="Actions")
    expect(actions).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('/actions')[0].rstrip('/')}/actions/")
    assert page.console_errors == []


def test_a_handoff_is_built_and_saved_by_keyboard_alone_with_the_focus_always_shown(admin_page):
    page = admin_page
    page.emulate_media(reduced_motion="reduce")
    page.goto("/handoffs/new/")
    unseen = tab_to(page, "#id_display_name")
    page.keyboard.type("Agent queue")
    page.keyboard.press("Tab")  # the identifier, suggested
    expect(page.locator("#id_name")).to_be_focused()
    expect(page.locator("#id_name")).to_have_value("agent_queue")
    page.keyboard.press("Tab")
    page.keyboard.type("Transfer to the live agent queue")
    unseen += tab_to(page, "#id_phone_number")
    page.keyboard.type("+441234567890")
    # Every other control on the page takes the focus visibly too.
    unseen += tab_to(page, "button", text="Save handoff", limit=120)
    expect(page.get_by_role("button", name="Save handoff")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Handoff “agent_queue” saved.")).to_be_visible()
    handoff = Handoff.objects.get()
    assert (handoff.display_name, handoff.phone_number) == ("Agent queue", "+441234567890")
    assert unseen == [], f"focus not shown on: {unseen}"
    assert page.console_errors == []
