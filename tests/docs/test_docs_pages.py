"""The guides hold together: links and anchors resolve, every image exists and comes from the screenshot
script, the protocol guide quotes every validation message of the broken-protocol corpus."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.docs.conftest import DOCS, FENCE, ROOT

PAGES = sorted(DOCS.glob("*.md"))
LINK = re.compile(r"(!?)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$", re.MULTILINE)
SHOT = re.compile(r"camera\.shot\(\s*page,\s*\"([^\"]+)\"")
BROKEN = ROOT / "tests" / "unit" / "protocols" / "broken"
EXPECT = re.compile(r"^# expect: \d+:\d+: (.*)$", re.MULTILINE)


def prose(path: Path) -> str:
    """The page without its fenced blocks (a `#` comment in a shell block is not a heading)."""
    return FENCE.sub("", path.read_text(encoding="utf-8"))


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"`|\*|_(?=\w)|(?<=\w)_", "", heading).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    found: set[str] = set()
    for _level, heading in HEADING.findall(prose(path)):
        base, candidate, n = slug(heading), slug(heading), 0
        while candidate in found:
            n += 1
            candidate = f"{base}-{n}"
        found.add(candidate)
    return found


def links(path: Path) -> list[tuple[bool, str]]:
    return [(bang == "!", target) for bang, target in LINK.findall(prose(path))]


def test_the_four_guides_exist() -> None:
    names = {path.name for path in PAGES}
    assert {"guide-infirmiere.md", "guide-medecin.md", "protocoles.md", "fhir.md", "exploitation.md"} <= names


@pytest.mark.parametrize("page", PAGES, ids=lambda path: path.name)
def test_relative_links_and_anchors_resolve(page: Path) -> None:
    for _image, target in links(page):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
            continue
        file_part, _, anchor = target.partition("#")
        destination = (page.parent / file_part).resolve() if file_part else page
        assert destination.exists(), f"{page.name}: {target} points to a missing file"
        if anchor:
            assert destination.suffix == ".md", f"{page.name}: anchor on a non-Markdown file: {target}"
            found = anchors(destination)
            assert anchor in found, f"{page.name}: no heading for #{anchor} in {destination.name}"


def referenced_images() -> set[str]:
    return {
        Path(target).name
        for page in PAGES
        for image, target in links(page)
        if image or target.startswith("images/")
    }


def test_every_image_exists_and_is_taken_by_the_screenshot_script() -> None:
    taken = set(SHOT.findall((DOCS / "screenshots.py").read_text(encoding="utf-8")))
    referenced = referenced_images()
    assert referenced, "the guides show screenshots"
    for name in referenced:
        assert (DOCS / "images" / name).is_file(), f"docs/images/{name} is missing: run `make docs`"
        assert name.removesuffix(".png") in taken, f"{name} is not produced by docs/screenshots.py"
    unused = {path.name for path in (DOCS / "images").glob("*.png")} - referenced
    assert not unused, f"images no guide shows: {sorted(unused)}"


def test_each_guide_for_people_shows_its_screens() -> None:
    for page in ("guide-infirmiere.md", "guide-medecin.md"):
        shown = [target for image, target in links(DOCS / page) if image]
        assert len(shown) >= 6, f"{page} shows each step with a screenshot"


def test_the_screenshot_script_runs() -> None:
    result = subprocess.run(
        [sys.executable, str(DOCS / "screenshots.py"), "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert "--out" in result.stdout


@pytest.mark.parametrize("broken", sorted(BROKEN.glob("*.yaml")), ids=lambda path: path.stem)
def test_the_protocol_guide_quotes_every_validation_message(broken: Path) -> None:
    guide = (DOCS / "protocoles.md").read_text(encoding="utf-8").replace("\\|", "|")
    for message in EXPECT.findall(broken.read_text(encoding="utf-8")):
        assert f"`{message}`" in guide, f"protocoles.md does not explain: {message}"
