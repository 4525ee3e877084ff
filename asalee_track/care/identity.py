"""Identity checks: the INS/NIR and its control key, and names folded for search."""

import re
import unicodedata

from stdnum.fr import nir as fr_nir

_NIR = re.compile(r"^[12378]\d{4}(?:\d{2}|2A|2B)\d{6}\d{2}$")


def normalise_nir(raw: str) -> str:
    """Upper case, without the spaces and dots people type between groups."""
    return re.sub(r"[\s.\-]", "", raw).upper()


def nir_is_valid(nir: str) -> bool:
    """15 characters: 13 for the number, 2 for the key = 97 − (number mod 97), Corsican departments
    2A and 2B counting as 19 and 18 (python-stdnum's ``fr.nir``). The pattern also checks the sex digit."""
    return bool(_NIR.match(nir)) and fr_nir.is_valid(nir)


def nir_key(number13: str) -> str:
    """The two-digit key for a 13-character number (used to build demo and test identities)."""
    return fr_nir.calc_check_digits(number13)


def fold(text: str) -> str:
    """Lower case, without accents or punctuation: 'Hélène Lefèvre-Dubœuf' → 'helene lefevre duboeuf'."""
    decomposed = unicodedata.normalize(
        "NFKD", text.replace("œ", "oe").replace("Œ", "OE").replace("æ", "ae").replace("Æ", "AE")
    )
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^0-9a-z]+", " ", stripped.lower()).split())
