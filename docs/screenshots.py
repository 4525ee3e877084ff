"""Regenerate the screenshots of the guides (docs/images/*.png) from the demo data.

    .venv/bin/python docs/screenshots.py [--out DIR]

A fresh demo practice is created in a temporary directory, the application is served on a free loopback
port, and Debian's headless Chromium goes through the nurse's, the GP's and the administrator's flows,
saving one PNG per step. Nothing outside the temporary directory and the output folder is touched.
"""

import argparse
import os
import secrets
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from anywhere: the package lives beside docs/
    sys.path.insert(0, str(ROOT))

import uvicorn  # noqa: E402
from playwright.sync_api import Browser, BrowserType, Page, expect, sync_playwright  # noqa: E402

from asalee_track.care import demo  # noqa: E402
from asalee_track.config import Settings  # noqa: E402
from asalee_track.protocols import load_protocols  # noqa: E402
from asalee_track.store import migrate  # noqa: E402
from asalee_track.store.db import make_engine, transaction  # noqa: E402
from asalee_track.web.app import create_app  # noqa: E402

IMAGES = Path(__file__).resolve().parent / "images"
VIEWPORT = {"width": 1200, "height": 800}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--lang=fr",
]
NURSE = "infirmiere@demo.asalee.fr"
GP = "medecin@demo.asalee.fr"
ADMIN = "admin@demo.asalee.fr"


# ---------------------------------------------------------------------------------------------------
# A demo practice served on loopback


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def demo_server(workdir: Path) -> Iterator[str]:
    """A new SQLite database with the demo practice, served by uvicorn in a thread; yields the base URL."""
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'demo.db'}",
        secret_key=secrets.token_urlsafe(48),
        export_dir=workdir / "exports",
    )
    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    with transaction(engine) as db:
        demo.create_demo(db, load_protocols(settings.protocols_dir))
    app = create_app(settings, engine, upgrade=False)
    port = _free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the application did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        engine.dispose()


# ---------------------------------------------------------------------------------------------------
# Browser helpers


class Camera:
    """Saves screenshots under stable names and remembers which ones it took."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.taken: list[Path] = []

    def shot(self, page: Page, name: str, *, full_page: bool = False) -> None:
        page.wait_for_load_state("networkidle")
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page, animations="disabled")
        self.taken.append(path)
        print(f"  {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")


def launch_chromium(chromium: BrowserType, executable: str) -> Browser:
    """Debian's Chromium in French, as the practices run it: on Linux its interface language, which sets
    how date fields read (jj/mm/aaaa), comes from LANGUAGE, and needs the chromium-l10n package."""
    return chromium.launch(
        executable_path=executable,
        headless=True,
        args=CHROMIUM_FLAGS,
        env={**os.environ, "LANGUAGE": "fr"},
    )


def new_page(browser: Browser, base_url: str, errors: list[str]) -> Page:
    context = browser.new_context(base_url=base_url, locale="fr-FR", viewport=VIEWPORT)
    page = context.new_page()
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return page


def log_in(page: Page, email: str, camera: Camera | None = None) -> None:
    page.goto("/login")
    page.get_by_label("Adresse e-mail").fill(email)
    page.get_by_label("Mot de passe").fill(demo.DEMO_PASSWORD)
    if camera is not None:
        camera.shot(page, "connexion")
    page.get_by_role("button", name="Connexion").click()
    page.wait_for_load_state("networkidle")


def scroll_to(page: Page, selector: str) -> None:
    """Bring an element near the top of the viewport (below the header)."""
    page.locator(selector).first.evaluate("el => { el.scrollIntoView(); window.scrollBy(0, -70); }")


# ---------------------------------------------------------------------------------------------------
# The nurse


def nurse_flow(page: Page, camera: Camera) -> None:
    log_in(page, NURSE, camera)
    expect(page.get_by_role("heading", name="Liste de travail")).to_be_visible()
    camera.shot(page, "infirmiere-liste-de-travail")

    # Find a patient: search as you type.
    page.get_by_role("link", name="Patients", exact=True).click()
    page.get_by_label("Rechercher par nom").press_sequentially("mar", delay=40)
    expect(page.locator("#patient-rows, table").first).to_contain_text("MARTÍNEZ")
    camera.shot(page, "infirmiere-recherche")

    # A new patient, then the enrolment with consent.
    page.get_by_role("link", name="Nouveau patient").click()
    page.locator("#family_name").fill("Durand")
    page.locator("#given_names").fill("Jeanne")
    page.locator("#birth_date").fill("1958-03-14")
    page.locator("#sex").select_option("female")
    page.locator("#phone").fill("05 49 12 34 56")
    page.locator("#referring_gp_id").select_option(label="Dr Paul Lefèvre")
    camera.shot(page, "infirmiere-nouveau-patient")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", name="DURAND Jeanne")).to_be_visible()

    page.get_by_role("link", name="Inclure dans un parcours").click()
    page.get_by_label("Diabète de type 2").check()
    page.get_by_label("Mode de recueil du consentement").select_option("written")
    camera.shot(page, "infirmiere-inclusion")
    page.get_by_role("button", name="Inclure").click()
    expect(page.locator(".enrolment")).to_contain_text("Consentement (écrit)")
    camera.shot(page, "infirmiere-dossier-patient")

    # A first session: units converted as you type, implausible values refused.
    page.get_by_role("link", name="Nouvelle séance").click()
    page.locator("#kind").select_option("first")
    page.get_by_label("Poids", exact=True).fill("78,5")
    page.get_by_label("Taille", exact=True).fill("162")
    page.get_by_label("Pression artérielle systolique", exact=True).fill("138")
    page.get_by_label("Pression artérielle diastolique", exact=True).fill("84")
    page.get_by_label("Fréquence cardiaque", exact=True).fill("720")
    page.get_by_label("Fréquence cardiaque", exact=True).blur()
    expect(page.locator("#check-heart-rate")).to_contain_text("plage plausible")
    page.locator("#u-hba1c").select_option("mmol/mol")
    page.get_by_label("HbA1c", exact=True).fill("88")
    page.get_by_label("HbA1c", exact=True).blur()
    expect(page.locator("#check-hba1c")).not_to_be_empty()
    page.evaluate("window.scrollTo(0, 0)")
    camera.shot(page, "infirmiere-seance-saisie")

    page.get_by_label("Fréquence cardiaque", exact=True).fill("72")
    page.get_by_label("Fréquence cardiaque", exact=True).blur()
    expect(page.locator("#check-heart-rate")).to_be_empty()
    page.get_by_label("Alimentation équilibrée").check()
    page.get_by_label("Prescription de l'HbA1c").check()
    page.get_by_label("Notes").fill("Première séance. Objectifs discutés : marche 30 min par jour.")
    page.get_by_role("button", name="Enregistrer la séance").click()
    expect(page.get_by_role("status")).to_have_text("Séance enregistrée.")
    camera.shot(page, "infirmiere-seance-enregistree")

    # A correction: a new version, the first one stays readable.
    page.get_by_role("link", name="Corriger").click()
    page.get_by_label("Poids", exact=True).fill("76,5")
    page.get_by_label("Poids", exact=True).blur()
    camera.shot(page, "infirmiere-correction")
    page.get_by_role("button", name="Enregistrer la correction").click()
    expect(page.get_by_role("heading", name="Versions")).to_be_visible()
    page.locator("summary", has_text="Marquer comme saisie erronée").click()
    page.get_by_label("Motif (mauvais patient").fill("Séance saisie dans le mauvais dossier")
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    camera.shot(page, "infirmiere-versions")

    # Prepare the concertation with the GP.
    page.get_by_role("link", name="Concertations", exact=True).click()
    page.get_by_label("Titre (facultatif)").fill("Concertation mensuelle")
    page.get_by_label("Dr Paul Lefèvre").check()
    page.get_by_role("button", name="Créer").click()
    for _ in range(3):
        page.locator("ul.suggestions li").first.get_by_role("button", name="Ajouter").click()
        page.wait_for_load_state("networkidle")
    camera.shot(page, "infirmiere-concertation")

    page.get_by_role("link", name="Tableau de bord").click()
    expect(page.get_by_role("heading", name="Tableau de bord")).to_be_visible()
    camera.shot(page, "tableau-de-bord")


# ---------------------------------------------------------------------------------------------------
# The GP


def gp_flow(page: Page, camera: Camera) -> None:
    log_in(page, GP)
    expect(page.get_by_role("heading", name="Liste de travail")).to_be_visible()
    camera.shot(page, "medecin-liste-de-travail")

    row = page.locator("table.worklist tr.status-alert", has_text="Diabète de type 2").first
    row.get_by_role("link").first.click()
    expect(page.get_by_role("heading", name="Revue du parcours")).to_be_visible()
    camera.shot(page, "medecin-revue-parcours")

    scroll_to(page, ".charts")
    camera.shot(page, "medecin-courbes")

    alert = page.locator("li.alert.status-open").first
    scroll_to(page, "li.alert.status-open")
    alert.get_by_placeholder("Commentaire (facultatif)").fill("Vu, consultation cette semaine")
    alert.get_by_role("button", name="Acquitter").click()
    acknowledged = page.locator("li.alert.status-acknowledged", has_text="Vu, consultation cette semaine")
    expect(acknowledged).to_be_visible()
    camera.shot(page, "medecin-alerte-acquittee")

    page.locator("#measure_id").select_option("hba1c")
    page.get_by_label("Au plus").fill("8")
    page.locator("#target-reason").fill("Patient âgé, comorbidités : cible HbA1c ≤ 8 %")
    page.get_by_role("button", name="Fixer cette cible").click()
    expect(page.locator("table.target-history")).to_contain_text("comorbidités")
    scroll_to(page, "#targets")
    camera.shot(page, "medecin-cible-personnelle")

    page.get_by_role("link", name="Concertations", exact=True).click()
    page.get_by_role("link", name="Concertation mensuelle").first.click()
    item = page.locator(".concertation-item").first
    item.get_by_label("Décision").fill("Renforcer le traitement ; HbA1c de contrôle dans 3 mois.")
    item.get_by_role("button", name="Enregistrer la décision").click()
    expect(page.locator(".decision").first).to_contain_text("Renforcer le traitement")
    camera.shot(page, "medecin-concertation")

    page.get_by_role("link", name="Tableau de bord").click()
    page.get_by_role("link", name="Rapport d'activité").click()
    expect(page.get_by_role("heading", name="Rapport d'activité")).to_be_visible()
    camera.shot(page, "medecin-rapport-activite")


# ---------------------------------------------------------------------------------------------------
# The administrator


def admin_flow(page: Page, camera: Camera) -> None:
    log_in(page, ADMIN)
    expect(page.get_by_role("heading", name="Journal d'audit")).to_be_visible()
    camera.shot(page, "admin-journal-audit")
    page.goto("/admin/tokens")
    page.locator("input[name=name]").fill("Entrepôt de données régional")
    page.get_by_role("button", name="Créer un jeton").click()
    expect(page.locator("#new-token")).to_be_visible()
    camera.shot(page, "admin-jetons")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=IMAGES, help="folder for the PNG files")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        print("Debian's chromium package is needed (apt-get install chromium)", file=sys.stderr)
        return 1
    camera = Camera(args.out)
    errors: list[str] = []
    with tempfile.TemporaryDirectory(prefix="asalee-docs-") as workdir:
        print("creating the demo practice…")
        with demo_server(Path(workdir)) as base_url, sync_playwright() as playwright:
            browser = launch_chromium(playwright.chromium, executable)
            try:
                for flow in (nurse_flow, gp_flow, admin_flow):
                    page = new_page(browser, base_url, errors)
                    flow(page, camera)
                    page.context.close()
            finally:
                browser.close()
    if errors:
        print(f"the browser console reported errors: {errors}", file=sys.stderr)
        return 1
    print(f"{len(camera.taken)} screenshots written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
