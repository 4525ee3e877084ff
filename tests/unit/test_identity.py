"""INS/NIR control keys and the folding that makes search accent-insensitive."""

import pytest

from asalee_track.care.identity import fold, nir_is_valid, nir_key, normalise_nir


@pytest.mark.parametrize(
    "nir",
    [
        "257077512345669",  # computed by hand: 97 − (2570775123456 mod 97) = 69
        "185052A01234579",  # Corsica: 2A counts as 19 in the key computation
        "1 85 05 2B 012 345 " + nir_key("185052B012345"),
    ],
)
def test_valid_nir_is_accepted(nir: str) -> None:
    assert nir_is_valid(normalise_nir(nir))


@pytest.mark.parametrize(
    "nir",
    [
        "257077512345668",  # key off by one
        "25707751234566",  # 14 characters
        "2570775123456690",  # 16 characters
        "457077512345669",  # first digit is the sex: 1, 2 (or 3, 7, 8 for temporary numbers)
        "2570775123456AB",  # key must be digits
        "",
    ],
)
def test_invalid_nir_is_refused(nir: str) -> None:
    assert not nir_is_valid(normalise_nir(nir))


def test_corsican_key_differs_from_plain_digits() -> None:
    assert nir_key("185052A012345") != nir_key("1850520012345")


@pytest.mark.parametrize(
    ("raw", "folded"),
    [
        ("Hélène", "helene"),
        ("LEFÈVRE-Dubœuf", "lefevre duboeuf"),
        ("  Noël   Ngô ", "noel ngo"),
        ("Müller", "muller"),
    ],
)
def test_fold_removes_accents_case_and_punctuation(raw: str, folded: str) -> None:
    assert fold(raw) == folded
