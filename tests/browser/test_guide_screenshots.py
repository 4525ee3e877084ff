"""The guides' screenshots are taken by a Chromium speaking French, so that their date fields read
jj/mm/aaaa as in the practices (Debian's chromium-l10n package, installed by `make chromium`)."""

import importlib.util
import shutil

import pytest
from playwright.sync_api import Browser

from asalee_track import PROJECT_ROOT

pytestmark = pytest.mark.browser


def screenshots_script():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("screenshots", PROJECT_ROOT / "docs" / "screenshots.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_guides_browser_shows_date_fields_in_french(chromium: Browser) -> None:
    executable = shutil.which("chromium")
    assert executable
    browser = screenshots_script().launch_chromium(chromium.browser_type, executable)
    try:
        page = browser.new_context(locale="fr-FR").new_page()
        page.set_content('<label for="born">Date de naissance</label><input id="born" type="date">')
        tree = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")
        parts = [
            node["name"]["value"]
            for node in tree["nodes"]
            if node.get("role", {}).get("value") == "spinbutton"
        ]
        # Each part is named by its label and its placeholder: "Jour Jour", "Mois Mois", "Année Année".
        assert [name.split()[0] for name in parts[:3]] == ["Jour", "Mois", "Année"], (
            f"the date field: {parts}"
        )
    finally:
        browser.close()
