"""A rule of the house: every message the interface can show has its French translation."""

import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po

from asalee_track import PROJECT_ROOT
from asalee_track.i18n import LOCALES_DIR


def test_every_message_is_translated_to_french(tmp_path: Path) -> None:
    template = tmp_path / "messages.pot"
    subprocess.run(
        [
            str(Path(sys.executable).parent / "pybabel"),
            "-q",
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "N_",
            "-o",
            str(template),
            ".",
        ],
        cwd=PROJECT_ROOT,
        check=True,
    )
    with template.open("rb") as handle:
        wanted = {message.id for message in read_po(handle) if message.id}
    with (LOCALES_DIR / "fr" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {
        message.id
        for message in catalog
        if message.id
        and all(message.string if isinstance(message.string, tuple) else [message.string])
        and not message.fuzzy
    }
    missing = sorted(str(m) for m in wanted - translated)
    assert missing == [], f"untranslated (run `make i18n`, then translate): {missing}"
