"""The public pages in headless Chromium at 390 px (a phone): screenshots and axe-core.

Every declared open dataset is released once by the real publisher (``released_lake``, tests/apps/conftest.py),
then each public page (one per dataset, transparency, register) is opened on a real
``streamlit run`` server at 390 x 844. Each page must: draw without error, never scroll sideways,
fetch nothing outside 127.0.0.1, and have no serious or critical axe-core violation (axe runs
offline: ``axe.min.js`` ships inside ``axe-playwright-python``). Screenshots go to the git-ignored
``test-artifacts/screenshots/`` folder, for people to look at.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from orchestration.core.catalog import open_datasets
from tests.apps.test_browser import LOAD_TIMEOUT_MS, NEXT_FRAMES, wait_until_drawn

pytestmark = [pytest.mark.browser, pytest.mark.timeout(600)]

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}
BLOCKING_IMPACTS = {"serious", "critical"}
PAGES = ["portail", *sorted(open_datasets()), "transparence", "registre-des-traitements"]


# Streamlit's own sidebar navigation (sections as <li> outside a list, a <ul> holding <div>s)
# trips axe's list rules in every Streamlit app; it is not the page's content, so it is left out.
AXE_CONTEXT = {"exclude": [['[data-testid="stSidebar"]']]}


def axe_violations(page: object) -> list[dict]:
    """axe-core's serious and critical violations on the page as drawn (WCAG 2 A/AA rules)."""
    from axe_playwright_python.sync_playwright import Axe

    options = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}
    results = Axe().run(page, context=AXE_CONTEXT, options=options)
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


@pytest.mark.parametrize("path", PAGES)
def test_public_page_on_a_phone(
    path: str,
    streamlit_server: Callable,
    released_lake: Path,
    module_page: Callable,
) -> None:
    from playwright.sync_api import expect

    server = streamlit_server(released_lake)
    offline = module_page(viewport=PHONE)  # one page for every public page: the scripts are cached once
    page = offline.page
    page.goto(f"{server.url}/{path}", timeout=LOAD_TIMEOUT_MS)
    heading = page.locator("h1").first
    expect(heading).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    if path in open_datasets():
        expect(heading).to_contain_text(open_datasets()[path].title)
        expect(page.get_by_text("Ce qui est masqué, et pourquoi")).to_be_visible()
        if open_datasets()[path].spatial_level != "commune":
            page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=LOAD_TIMEOUT_MS)
        page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg', timeout=LOAD_TIMEOUT_MS)
    wait_until_drawn(page)  # the script ended, deck.gl and Vega drew their first frame
    # Absences are read once the run ended (before, they would pass on a page half drawn).
    expect(page.get_by_text("Page not found")).to_have_count(0)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)

    widths = page.evaluate(
        "() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
        " return [main.scrollWidth, main.clientWidth, document.documentElement.scrollWidth, window.innerWidth]; }"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[3], f"horizontal scroll on a phone: {widths}"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{path}-390.png"))
    # Streamlit scrolls inside stMain: grow the viewport's height for the whole page.
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": PHONE["width"], "height": min(int(height), 12000)})
    wait_until_drawn(page)
    page.evaluate(NEXT_FRAMES)  # the resize is painted before the shot and axe's pass
    full = SCREENSHOTS / f"{path}-390-full.png"
    page.screenshot(path=str(full))
    assert full.stat().st_size > 20_000

    violations = axe_violations(page)
    assert not violations, [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    assert offline.blocked == [], f"requests leaving 127.0.0.1: {offline.blocked}"
