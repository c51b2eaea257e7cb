"""Browser fixtures: Debian's Chromium driven by Playwright, screenshots in test-artifacts/
(and, of a test that failed, the page as it was then: ``<name>-failed.png`` and ``.txt``).

The study is logged once per session into the session's live server by the example program
(over HTTP, as a user's training script would).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.dashboard.example_program import log_study

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "dashboard"
# Chromium's software GL reports stalls as console warnings; errors are what we forbid.
IGNORED = ("GL Driver Message",)
_CALL_FAILED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Whether the test itself failed, for the page fixture's teardown."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_FAILED] = report.failed
    return report


@pytest.fixture(scope="session")
def study(live_kuro) -> dict[str, Any]:
    """The example study, logged into the session's live server."""
    return {"url": live_kuro.url, "experiment_ids": log_study(live_kuro.url)}


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Page:
    """A browser page that records console errors and saves numbered screenshots."""

    def __init__(self, page: Any, name: str) -> None:
        self.page = page
        self.name = name
        self.errors: list[str] = []
        self.shots = 0
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"page error: {error}"))
        page.set_default_timeout(30_000)

    def _console(self, message: Any) -> None:
        if message.type == "error" and not any(i in message.text for i in IGNORED):
            self.errors.append(message.text)

    def shot(self, label: str) -> Path:
        self.shots += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"
        # AG Grid draws rows once its grid is scrolled into view: scroll through first.
        height = self.page.evaluate("document.body.scrollHeight")
        for y in range(0, height, 700):
            self.page.evaluate(f"window.scrollTo(0, {y})")
            self.page.wait_for_timeout(60)
        self.page.evaluate("window.scrollTo(0, 0)")
        self.page.wait_for_timeout(200)
        self.page.screenshot(path=path, full_page=True)
        return path

    def shot_of(self, selector: str, label: str) -> Path:
        """A screenshot of one element (full-page captures may leave AG Grid rows blank)."""
        self.shots += 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{self.name}-{self.shots:02d}-{label}.png"
        self.page.locator(selector).first.screenshot(path=path)
        return path

    def plots(self, selector: str) -> list[dict[str, Any]]:
        """Each Plotly chart under ``selector``: its traces' names, types and point counts."""
        return json.loads(
            self.page.evaluate(
                """(selector) => JSON.stringify(Array.from(
                    document.querySelectorAll(selector + ' .js-plotly-plot')).map(gd => ({
                        title: gd.layout.title && gd.layout.title.text,
                        meta: gd.layout.meta,
                        traces: gd.data.map(t => ({name: t.name, type: t.type, meta: t.meta,
                                                   n: (t.x || t.dimensions || []).length}))})))""",
                selector,
            )
        )


def _keep_failed(page: Page) -> None:
    """The page of a failed test as it was: a screenshot and its text, with the console
    errors seen (a timeout in CI can then be read after the run)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / f"{page.name}-failed"
    try:
        page.page.screenshot(path=stem.with_suffix(".png"), full_page=True, timeout=10_000)
        text = page.page.evaluate("document.body ? document.body.innerText : ''")
    except Exception as error:  # a page that is gone or stuck: say so, keep the test's error
        text = f"(the page could not be read: {error})"
    errors = "\n".join(page.errors)
    stem.with_suffix(".txt").write_text(f"{page.page.url}\n\nconsole errors:\n{errors}\n\n{text}")
    print(f"the failed page: {stem}.png and .txt")


@pytest.fixture
def page(browser, request) -> Iterator[Page]:
    """A fresh browser context; the test fails on any console error."""
    context = browser.new_context(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    wrapped = Page(context.new_page(), request.node.name.removeprefix("test_"))
    yield wrapped
    if request.node.stash.get(_CALL_FAILED, False):
        _keep_failed(wrapped)
    banner = wrapped.page.locator("#kuro-error-banner")
    failure = banner.inner_text() if banner.count() else ""
    context.close()
    assert not wrapped.errors, wrapped.errors
    assert not failure, failure
