"""Both pages in a real headless Chromium against a real ``streamlit run`` server.

Checks what AppTest cannot: the pages render in a browser (charts, map canvas, downloads), on a
phone-sized screen for the portal, and nothing is fetched from outside 127.0.0.1.
Screenshots are written to the test's tmp dir (path printed with ``-s``/``-rA``).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from apps.formatting import fr_int
from apps.published import NO_DATA_MESSAGE
from tests.apps.conftest import OfflinePage  # noqa: F401 - the browser fixtures live in conftest (one Playwright per session)

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

DATASET = "interventions-police-municipale-arrondissement-mois"
# Generous: the first page load on a 2-core machine imports pandas/altair/pydeck server-side.
LOAD_TIMEOUT_MS = 60_000


# Streamlit's root element states its script run: "initial" until the first run has started, then
# "running", and "notRunning" once the run has ended and its elements are drawn. Right after a
# navigation the status widget ("Running...") may not be attached yet, so its absence alone proves
# nothing; this attribute does (on a freshly loaded document, it cannot say "notRunning" early).
SCRIPT_DONE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
# Every element shown is drawn: no placeholder left (Streamlit shows ``stSkeleton`` while an
# element's code loads, the first time a chart type appears), and every chart has drawn its first
# frame: Vega's scene (its root group) or canvas, deck.gl's canvas. Charts in a tab not selected
# are not laid out (no box) and not drawn until shown.
CHARTS_DRAWN = """() => {
    const shown = (testid) => [...document.querySelectorAll(`[data-testid="${testid}"]`)].filter(c => c.getClientRects().length > 0);
    return shown('stSkeleton').length === 0
        && shown('stVegaLiteChart').every(c => c.querySelector('svg g.role-frame, canvas') !== null)
        && shown('stDeckGlJsonChart').every(c => c.querySelector('canvas') !== null);
}"""
# Two animation frames: whatever a resize or a first draw scheduled has been painted (at most 2 s:
# a page the browser stopped painting must not hang the test).
NEXT_FRAMES = """() => new Promise(done => {
    requestAnimationFrame(() => requestAnimationFrame(() => done(true)));
    setTimeout(() => done(false), 2000);
})"""


def wait_until_idle(page: object) -> None:
    """Wait until Streamlit has run the page's script to its end (after a navigation, not after a click).

    Conditions, not delays: the app's root says the run ended, and the status widget is gone.
    """
    page.wait_for_selector(SCRIPT_DONE, timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    page.wait_for_selector('[data-testid="stStatusWidget"]', state="detached", timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]


def wait_until_drawn(page: object) -> None:
    """Wait until the script ran to its end and every chart and map on the page drew its first frame."""
    wait_until_idle(page)
    page.wait_for_function(CHARTS_DRAWN, timeout=LOAD_TIMEOUT_MS, polling=100)  # type: ignore[attr-defined]
    page.evaluate(NEXT_FRAMES)  # type: ignore[attr-defined]


def test_observatoire_renders_in_chromium(
    streamlit_server: Callable, synthetic_lake: Path, lake_writer, open_page: Callable, tmp_path: Path
) -> None:
    from playwright.sync_api import expect

    server = streamlit_server(synthetic_lake)
    # Tall viewport: Streamlit scrolls inside its own container, so full_page shots stop at the fold.
    offline = open_page(viewport={"width": 1400, "height": 2600})
    page = offline.page
    page.goto(f"{server.url}/observatoire", timeout=LOAD_TIMEOUT_MS)

    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=LOAD_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Observatoire de la tranquillité publique")).to_be_visible()
    total = fr_int(lake_writer.published_total(synthetic_lake))
    expect(page.locator('[data-testid="stMetric"]', has_text="Incidents").first).to_contain_text(total)
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Contrôle qualité réussi")
    expect(page.get_by_text("Joël Gombin", exact=False)).to_be_visible()
    # The map is drawn by deck.gl into a canvas, the time series by Vega into a canvas/svg.
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stVegaLiteChart"] canvas, [data-testid="stVegaLiteChart"] svg', timeout=LOAD_TIMEOUT_MS)
    wait_until_drawn(page)  # deck.gl and Vega drew their first frame before the shot
    expect(page.get_by_text("Page not found")).to_have_count(0)  # the /observatoire alias works (read once the run ended)

    shot = tmp_path / "observatoire.png"
    page.screenshot(path=str(shot), full_page=True)
    print(f"screenshot: {shot}")
    assert shot.stat().st_size > 20_000

    # The root URL serves the same page (it is the default page).
    page.goto(server.url, timeout=LOAD_TIMEOUT_MS)
    expect(page.get_by_role("heading", name="Observatoire de la tranquillité publique")).to_be_visible(timeout=LOAD_TIMEOUT_MS)
    assert offline.blocked == [], f"requests leaving 127.0.0.1: {offline.blocked}"


def test_an_offline_page_records_and_fails_what_leaves_loopback(open_page: Callable) -> None:
    """The guard every browser test relies on: a fetch outside loopback is recorded, and fails before
    any connection because Chromium resolves no name outside loopback. ``pypi.org`` is a name this
    machine's DNS answers (its package registry): without the rule, the fetch reached the network
    (``ERR_CERT_AUTHORITY_INVALID`` behind this machine's proxy) and this test failed."""
    offline = open_page()
    page = offline.page
    failures: dict[str, str] = {}
    page.on("requestfailed", lambda request: failures.setdefault(request.url, request.failure or ""))
    outside = ["https://pypi.org/simple/", "http://tiles.example.net/0/0/0.png"]
    page.set_content("<p>page</p>")
    answered = page.evaluate(
        """async (urls) => Promise.all(urls.map(u => fetch(u, {mode: 'no-cors'}).then(() => true, () => false)))""",
        outside,
    )
    page.evaluate("() => fetch('data:text/plain,local')")  # not a request leaving the machine
    assert sorted(offline.blocked) == sorted(outside)
    assert answered == [False, False]
    assert failures == dict.fromkeys(outside, "net::ERR_NAME_NOT_RESOLVED")


def test_portail_on_a_phone(streamlit_server: Callable, synthetic_lake: Path, open_page: Callable, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    server = streamlit_server(synthetic_lake)
    offline = open_page(viewport={"width": 390, "height": 844})
    page = offline.page
    page.goto(f"{server.url}/portail", timeout=LOAD_TIMEOUT_MS)

    page.wait_for_selector('[data-testid="stDownloadButton"]', timeout=LOAD_TIMEOUT_MS)
    title = "Interventions de la police municipale par arrondissement et par mois"
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    expect(page.get_by_role("link", name="Licence Ouverte 2.0")).to_be_visible()
    expect(page.get_by_text("masquées en secret secondaire", exact=False)).to_be_visible()
    buttons = page.locator('[data-testid="stDownloadButton"] button')
    expect(buttons).to_have_count(3)
    csv_button = page.get_by_role("button", name="Télécharger le CSV")
    expect(csv_button).to_be_visible()
    wait_until_drawn(page)  # the widths are measured on the page as drawn, charts included
    expect(page.get_by_text("Page not found")).to_have_count(0)

    # On a phone the content stacks: nothing wider than the screen, buttons one under another.
    # (Wide tables scroll inside their own frame; what matters is that the page never does.)
    widths = page.evaluate(
        "() => { const main = document.querySelector('[data-testid=\"stMain\"]');"
        " return [main.scrollWidth, main.clientWidth, document.documentElement.scrollWidth, window.innerWidth]; }"
    )
    assert widths[0] <= widths[1] and widths[2] <= widths[3], f"horizontal scroll on a phone: {widths}"
    boxes = [buttons.nth(i).bounding_box() for i in range(3)]
    assert boxes[0]["y"] < boxes[1]["y"] < boxes[2]["y"], boxes

    # The CSV button really serves the published file (through Streamlit's local media endpoint).
    with page.expect_download(timeout=LOAD_TIMEOUT_MS) as download_info:
        csv_button.click()
    downloaded = download_info.value
    saved = tmp_path / downloaded.suggested_filename
    downloaded.save_as(str(saved))
    published = synthetic_lake / "open_data" / DATASET / f"{DATASET}.csv"
    assert saved.read_bytes() == published.read_bytes()

    # Streamlit scrolls inside stMain, so a "full page" shot would stop at the fold: take the
    # first screen, then the whole page by growing the viewport's height (width stays a phone's).
    page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    page.evaluate(NEXT_FRAMES)
    shot = tmp_path / "portail-phone.png"
    page.screenshot(path=str(shot))
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": 390, "height": min(int(height), 8000)})
    wait_until_drawn(page)  # the charts redraw at the new size
    full = tmp_path / "portail-phone-full.png"
    page.screenshot(path=str(full))
    print(f"screenshots: {shot} {full}")
    assert offline.blocked == [], f"requests leaving 127.0.0.1: {offline.blocked}"


def test_empty_lake_in_chromium(streamlit_server: Callable, empty_lake: Path, open_page: Callable, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    server = streamlit_server(empty_lake)
    page = open_page().page
    for path in ("observatoire", "portail"):
        page.goto(f"{server.url}/{path}", timeout=LOAD_TIMEOUT_MS)
        # The message is Markdown: `make demo` renders as code, so match the plain part.
        plain_part = NO_DATA_MESSAGE.split("`")[0].strip()
        # Once per section with nothing published yet (the portal lists every declared dataset).
        expect(page.get_by_text(plain_part, exact=False).first).to_be_visible(timeout=LOAD_TIMEOUT_MS)
        expect(page.locator("code", has_text="make demo").first).to_be_visible()
        page.screenshot(path=str(tmp_path / f"{path}-empty.png"))


def test_real_pipeline_output_in_chromium(streamlit_server: Callable, pipeline_lake, open_page: Callable, tmp_path: Path) -> None:
    """The pages on what the real graph published (sensor -> ingest -> dbt -> gate -> publish)."""
    from playwright.sync_api import expect

    from orchestration.core import lake
    from orchestration.core.publishing import gold_path

    published = int(lake.read(gold_path(pipeline_lake.settings, "incidents_quartier_jour")).column("nb_incidents").to_pandas().sum())
    server = streamlit_server(pipeline_lake.settings.lake)
    offline = open_page(viewport={"width": 1400, "height": 2600})
    page = offline.page
    page.goto(f"{server.url}/observatoire", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stMetricValue"]', timeout=LOAD_TIMEOUT_MS)
    expect(page.locator('[data-testid="stMetric"]', has_text="Incidents").first).to_contain_text(fr_int(published))
    expect(page.get_by_test_id("stAlertContentSuccess")).to_contain_text("Contrôle qualité réussi")
    page.wait_for_selector('[data-testid="stDeckGlJsonChart"] canvas', timeout=LOAD_TIMEOUT_MS)
    wait_until_idle(page)
    page.screenshot(path=str(tmp_path / "observatoire-real.png"), full_page=True)

    page.goto(f"{server.url}/portail", timeout=LOAD_TIMEOUT_MS)
    page.wait_for_selector('[data-testid="stDownloadButton"]', timeout=LOAD_TIMEOUT_MS)
    # Three weeks close no month: the weekly police series is published, the monthly one says so.
    expect(page.get_by_role("heading", name="Interventions de la police municipale par arrondissement et par mois")).to_be_visible()
    expect(page.get_by_role("heading", name="Interventions de la police municipale par arrondissement et par semaine")).to_be_visible()
    expect(page.get_by_text("inférieures à 11", exact=False).first).to_be_visible()  # one disclosure report per release
    wait_until_idle(page)
    page.screenshot(path=str(tmp_path / "portail-real.png"), full_page=True)
    assert offline.blocked == [], f"requests leaving 127.0.0.1: {offline.blocked}"
