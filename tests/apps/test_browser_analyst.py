"""Every analyst page in headless Chromium, at a desktop and a phone width (issue 11).

For the home page (``/observatoire``) and each use-case page (``/<use_case>``), at 1280 px and
390 px:

- no raw column name of the page's marts (read from their declarations) in a heading or a chart
  axis title;
- no English word from a fixed list anywhere in the visible text (``True``, ``daily``,
  month and day names, ``NaN``...);
- every map (deck.gl) comes with a colour legend;
- nothing is fetched outside 127.0.0.1;
- axe-core finds no violation of impact ``serious`` or ``critical``;
- at the desktop width, a use-case page is titled with its use case, shows one passed quality
  gate per published mart, and its model card opens on what the figures do not say.

Screenshots are kept as test artefacts under ``test-artifacts/screenshots/`` (git-ignored),
or under ``$OBSERVATOIRE_SCREENSHOTS`` when set; their folder is printed.

The lake is the real pipeline's (``pipeline_lake``, three weeks); while developing, point
``OBSERVATOIRE_BROWSER_LAKE`` at a lake already built with ``observatoire run`` to skip that.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# The Chromium launch and the offline page are conftest's fixtures; the waits are test_browser.py's.
from tests.apps.test_browser import LOAD_TIMEOUT_MS, NEXT_FRAMES, wait_until_drawn

pytestmark = [pytest.mark.browser, pytest.mark.timeout(900)]

REPO_ROOT = Path(__file__).resolve().parents[2]
VIEWPORTS = {"large": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
# Words a French page must never show: booleans, English time words, missing-value markers.
ENGLISH_WORDS = (
    "True", "False", "true", "false", "daily", "weekly", "monthly",
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday",
    "NaN", "None", "null", "nan",
)  # fmt: skip
# Column names as short as a French word ("jour", "heure", "source", "niveau"...) also read as
# plain French in a heading; only names with an underscore (or longer than a word) betray a raw
# column, so single short lowercase words are left to the axis-title check, which is exact.
HEADINGS = "h1, h2, h3, h4, h5, h6"
AXIS_TITLES = '[data-testid="stVegaLiteChart"] svg .role-axis-title text, [data-testid="stVegaLiteChart"] svg .role-legend-title text'
MAPS = '[data-testid="stDeckGlJsonChart"]'
# Legends actually drawn: a Vega chart titled « Légende... » whose colour marks are visible (a
# title above a ramp squeezed to nothing is not a legend).
# An HTML legend (the home page's gradient) counts when it is labelled « Légende... » for assistive
# technologies and drawn visibly.
DRAWN_LEGENDS = """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"] svg')].filter(svg =>
    [...svg.querySelectorAll('.role-title-text text')].some(t => t.textContent.trim().startsWith('Légende'))
    && [...svg.querySelectorAll('.mark-rect path, .mark-rect rect')].some(m => m.getBBox().height >= 6)
).length + [...document.querySelectorAll('[role="img"][aria-label^="Légende"]')].filter(e =>
    e.getBoundingClientRect().height >= 6).length"""
AXE_OPTIONS: dict = {"resultTypes": ["violations"]}
# Violations of Streamlit's own chrome that a page cannot fix, as (axe rule, container): only the
# nodes of that rule inside that container are ignored, never a rule or a page as a whole.
STREAMLIT_CHROME = (
    # The sidebar navigation (st.navigation sections) puts <li> in a <ul> through wrapper <div>s.
    ("list", '[data-testid="stSidebarNavItems"]'),
    ("listitem", '[data-testid="stSidebarNavItems"]'),
)


def analyst_pages() -> list[tuple[str, str | None]]:
    """``(url path, use case)`` of every analyst page: the home page and one per use case."""
    from apps.published import overview_use_case
    from orchestration.core.catalog import use_cases

    home = overview_use_case()
    found: list[tuple[str, str | None]] = [("observatoire", home.name)]
    for uc in use_cases().values():
        if uc.name != home.name and any(m.published for m in uc.marts):
            found.append((uc.name, uc.name))
    return found


def raw_column_names(use_case: str | None) -> set[str]:
    """Declared column names of the use case's published marts (what a page must not show raw)."""
    from orchestration.core.catalog import use_cases

    if use_case is None:
        return set()
    return {c.name for m in use_cases()[use_case].marts if m.published for c in m.columns}


def screenshot_dir() -> Path:
    """Where screenshots are kept (created on first use)."""
    folder = Path(os.environ.get("OBSERVATOIRE_SCREENSHOTS", REPO_ROOT / "test-artifacts" / "screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def analyst_lake(published_pipeline_lake: Path) -> Path:
    """The lake the pages are drawn from: the real pipeline's, or ``$OBSERVATOIRE_BROWSER_LAKE`` (tests/apps/conftest.py)."""
    return published_pipeline_lake


@pytest.fixture(scope="module")
def analyst_url(streamlit_server: Callable, analyst_lake: Path) -> Iterator[str]:
    """The one place the app server is started for these tests (dev mode: no OIDC issuer, so no
    sign-in wall); adapt here when sign-in needs a test identity."""
    yield streamlit_server(analyst_lake).url


def words_found(text: str, words: tuple[str, ...] | set[str]) -> list[str]:
    """The words of ``words`` that occur in ``text`` as whole words (not inside another word)."""
    return sorted({w for w in words if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", text)})


def load(page: object, url: str) -> None:
    """Open ``url`` and wait until the script ran to its end and every chart drew its first frame.

    Conditions only, no fixed delay (test_browser.py): the app's root says the run ended, then
    every Vega chart and deck.gl map has drawn.
    """
    page.goto(url, timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    page.wait_for_selector("h1", timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
    wait_until_drawn(page)


def full_screenshot(page: object, path: Path, width: int) -> None:
    """The whole page: Streamlit scrolls inside stMain, so grow the viewport to its height."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]').scrollHeight")  # type: ignore[attr-defined]
    page.set_viewport_size({"width": width, "height": max(600, min(int(height), 12000))})  # type: ignore[attr-defined]
    page.evaluate(NEXT_FRAMES)  # type: ignore[attr-defined]  # the resize is painted (the shot is for people)
    page.screenshot(path=str(path))  # type: ignore[attr-defined]


def texts(page: object, selector: str) -> list[str]:
    """The text content of every element matching ``selector``."""
    return [t.strip() for t in page.locator(selector).all_text_contents() if t.strip()]  # type: ignore[attr-defined]


def page_problems(page: object, use_case: str | None) -> list[str]:
    """What a French, answer-first page must not show (see the module docstring)."""
    problems: list[str] = []
    raw = raw_column_names(use_case)
    headings = texts(page, HEADINGS)
    axes = texts(page, AXIS_TITLES)
    long_raw = {c for c in raw if "_" in c}
    for heading in headings:
        if found := words_found(heading, long_raw):
            problems.append(f"raw column name(s) {found} in heading « {heading} »")
    for title in axes:
        if title in raw or (found := words_found(title, long_raw)):
            problems.append(f"raw column name in axis/legend title « {title} »")
    visible = page.locator('[data-testid="stMain"]').inner_text()  # type: ignore[attr-defined]
    visible += "\n" + "\n".join(axes) + "\n" + "\n".join(texts(page, '[data-testid="stVegaLiteChart"] svg text'))
    if found := words_found(visible, ENGLISH_WORDS):
        problems.append(f"English word(s) visible: {found}")
    maps = page.locator(MAPS).count()  # type: ignore[attr-defined]
    legends = drawn_legends(page, maps)
    if maps and legends < maps:
        problems.append(f"{maps} map(s) but {legends} legend(s)")
    if page.get_by_test_id("stException").count():  # type: ignore[attr-defined]
        problems.append("the page raised an exception")
    return problems


def drawn_legends(page: object, expected: int, timeout_ms: int = 15_000) -> int:
    """Legends drawn on the page, waiting (up to ``timeout_ms``) for Vega to draw ``expected``."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    if expected:
        with contextlib.suppress(PlaywrightTimeout):  # counted below: the assertion names the page
            page.wait_for_function(f"() => ({DRAWN_LEGENDS})() >= {expected}", timeout=timeout_ms)  # type: ignore[attr-defined]
    return int(page.evaluate(DRAWN_LEGENDS))  # type: ignore[attr-defined]


def verdicts_and_model_card(page: object, use_case: str) -> list[str]:
    """A use-case page: its title, one passed gate verdict per published mart, a model card that opens on its limits."""
    from playwright.sync_api import expect

    from orchestration.core.catalog import use_cases

    uc = use_cases()[use_case]
    published = [m for m in uc.marts if m.published]
    try:
        expect(page.get_by_role("heading", name=uc.title, exact=True)).to_be_visible(timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
        expect(page.get_by_text("Contrôle qualité réussi", exact=False)).to_have_count(len(published), timeout=LOAD_TIMEOUT_MS)  # type: ignore[attr-defined]
        page.get_by_text("Fiche méthode", exact=False).first.click()  # type: ignore[attr-defined]
        expect(page.get_by_text("Ce que ces chiffres ne disent pas", exact=False)).to_be_visible()  # type: ignore[attr-defined]
    except AssertionError as error:
        return [str(error).splitlines()[0]]
    return []


def serious_violations(page: object) -> list[str]:
    """axe-core violations of impact serious or critical, one line each (rule, impact, targets)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=AXE_OPTIONS)
    lines = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") not in ("serious", "critical"):
            continue
        containers = [c for rule, c in STREAMLIT_CHROME if rule == violation["id"]]
        nodes = [n for n in violation.get("nodes", []) if not any(inside(page, n, c) for c in containers)]
        if nodes:
            targets = [" ".join(map(str, n.get("target", []))) for n in nodes][:5]
            lines.append(f"{violation['id']} ({violation['impact']}): {targets}")
    return lines


def inside(page: object, node: dict, container: str) -> bool:
    """Whether the element axe reported (its CSS selector) lies within ``container``."""
    selector = node.get("target", [""])[0]
    if not isinstance(selector, str) or not selector:
        return False
    script = "([sel, box]) => { const e = document.querySelector(sel); return !!(e && e.closest(box)); }"
    return bool(page.evaluate(script, [selector, container]))  # type: ignore[attr-defined]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_every_analyst_page_is_french_labelled_legended_and_accessible(
    analyst_url: str,
    module_page: Callable,
    viewport: str,
) -> None:
    size = VIEWPORTS[viewport]
    folder = screenshot_dir()
    failures: dict[str, list[str]] = {}
    offline = module_page(viewport=dict(size))  # the second width reuses the first's page and its cache
    page = offline.page
    for path, use_case in analyst_pages():
        load(page, f"{analyst_url}/{path}")
        if path != "observatoire":  # every use-case page ends with its model card
            page.get_by_text("Fiche méthode", exact=False).first.wait_for(timeout=LOAD_TIMEOUT_MS)
        problems = page_problems(page, use_case)
        problems += [f"axe: {line}" for line in serious_violations(page)]
        full_screenshot(page, folder / f"{path}-{size['width']}px.png", size["width"])
        page.set_viewport_size(dict(size))
        if viewport == "large" and path != "observatoire" and use_case is not None:  # after the shot: it opens the model card
            problems += verdicts_and_model_card(page, use_case)
        if problems:
            failures[path] = problems
    print(f"screenshots: {folder}")
    assert offline.blocked == [], f"requests leaving 127.0.0.1: {offline.blocked}"
    assert not failures, "\n".join(f"/{p}: {'; '.join(v)}" for p, v in failures.items())


def test_words_found_matches_whole_words_only() -> None:
    assert words_found("Zone à problème : True", ENGLISH_WORDS) == ["True"]
    assert words_found("Données du 01/03/2026 (Mayotte exclue)", ENGLISH_WORDS) == []
    assert words_found("code_quartier", {"code_quartier"}) == ["code_quartier"]
    assert words_found("nb_code_quartier_x", {"code_quartier"}) == []
