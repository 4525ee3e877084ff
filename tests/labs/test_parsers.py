"""Every sample file, read as a practice would receive it: formats, encodings, line endings, several
patients per file, and each bad line named with its reason."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from asalee_track.i18n import translations
from asalee_track.labs import parse, read_value
from asalee_track.labs.text import decode, lines

SAMPLES = Path(__file__).parent / "samples"


def read(name: str):  # type: ignore[no-untyped-def]
    return parse((SAMPLES / name).read_bytes())


def french(problem) -> str:  # type: ignore[no-untyped-def]
    text = translations("fr").gettext(problem.message)
    return text % problem.params if problem.params else text


def test_hprim_sante_two_patients_with_their_results() -> None:
    found = read("hprim-sante-utf8-lf.hpr")
    assert (found.format, found.encoding, found.lab) == ("hprim-sante", "utf-8", "Laboratoire des Tilleuls")
    assert not found.problems
    first, *_, last = found.results
    assert len(found.results) == 7
    assert (first.identity.birth_name, first.identity.given, first.identity.sex) == (
        "LEFEVRE",
        "Hélène",
        "female",
    )
    assert first.identity.birth_date == date(1957, 7, 1)
    assert first.identity.ins == "257077512345669"
    assert (first.order, first.loinc, first.value, first.unit) == ("25031201", "4548-4", "7,2", "%")
    assert first.specimen_at == datetime(2025, 3, 12, 7, 15, tzinfo=UTC)  # 08:15 in Paris
    assert first.reported_at == datetime(2025, 3, 12, 16, 0, tzinfo=UTC)
    assert (last.identity.given, last.label, last.unit, last.line) == (
        "Jean-Pierre",
        "Potassium",
        "mmol/l",
        13,
    )


def test_hprim_sante_in_iso_8859_1_with_crlf() -> None:
    found = read("hprim-sante-latin1-crlf.hpr")
    # ISO-8859-1 and Windows-1252 agree on every printable character; the file reads the same.
    assert found.encoding == "windows-1252"
    assert found.results[0].identity.birth_name == "LEFÈVRE"
    assert found.results[0].label == "Hémoglobine glyquée (HbA1c)"


def test_hprim_sante_bad_lines_are_each_named_and_the_rest_read() -> None:
    found = read("hprim-sante-bad-lines-cp1252-cr.hpr")
    assert not found.refused
    assert [(p.line, french(p)) for p in found.problems] == [
        (9, "Le segment OBX a 4 champs ; au moins 7 sont attendus."),
        (11, "Segment ZZZ inconnu : ignoré."),
        (12, "Cette ligne n’est pas un segment."),
        (13, "Le segment P a 3 champs ; au moins 9 sont attendus."),
        (14, "Résultat sans patient ni demande lisibles au-dessus : non importé."),
    ]
    values = [result.value for result in found.results]
    assert values == [">10", "<0,5", "voir commentaire", "1,02", "0,95", "6,9"]


@pytest.mark.parametrize(
    ("name", "line", "message"),
    [
        ("hprim-sante-truncated.hpr", 4, "Le fichier se termine sans son segment L : il est tronqué."),
        ("hprim-sante-wrong-count.hpr", 5, "Le segment L annonce 2 patients, le fichier en contient 1."),
        ("hprim-net-truncated.txt", 14, "Le fichier se termine sans ****FIN**** : il est tronqué."),
        ("hl7-adt.hl7", 1, "Message de type ADT^A01 : seuls les résultats (ORU^R01) sont importés."),
        ("not-a-lab-file.txt", 1, "Format inconnu : ni HPRIM Santé, ni HPRIM Net, ni HL7 v2 ORU."),
    ],
)
def test_a_file_that_cannot_be_trusted_is_refused_whole(name: str, line: int, message: str) -> None:
    found = read(name)
    assert found.refused
    fatal = [p for p in found.problems if p.fatal]
    assert [(p.line, french(p)) for p in fatal] == [(line, message)]


def test_hprim_net_two_patients_windows_1252_crlf() -> None:
    found = read("hprim-net-cp1252-crlf.txt")
    assert (found.format, found.encoding) == ("hprim-net", "windows-1252")
    assert not found.problems
    assert [(r.identity.birth_name, r.code, r.value, r.unit) for r in found.results] == [
        ("LEFEVRE", "HDL", "0,52", "g/l"),
        ("LEFEVRE", "TG", "1,45", "g/l"),
        ("LEFEVRE", "RAC", "2,1", "mg/mmol"),
        ("LEFEVRE", "NTPBNP", "240", "pg/ml"),
        ("MARTIN", "HB", "14,2", "g/dl"),
        ("MARTIN", "GLY", "1,12", "g/l"),
    ]
    martin = found.results[-1]
    # No sex line in the header: the NIR's first digit says it.
    assert (martin.identity.sex, martin.identity.birth_date) == ("male", date(1950, 3, 12))
    assert martin.alternatives == (("6,22", "mmol/l"),)
    assert (martin.order, martin.lab, martin.line) == ("25031506", "Laboratoire des Tilleuls", 38)


def test_hl7_oru_with_bom_cr_ins_names_and_escapes() -> None:
    found = read("hl7-oru-utf8-bom-cr.hl7")
    assert (found.format, found.encoding, found.lab) == ("hl7-oru", "utf-8-sig", "LABO01")
    assert not found.problems
    hba1c, cholesterol, egfr, bnp = found.results
    assert hba1c.identity.ins == "257077512345669"
    assert (hba1c.identity.birth_name, hba1c.identity.used_name) == ("LEFEVRE", "DURAND")
    assert (hba1c.loinc, hba1c.code, hba1c.label) == ("4548-4", "HBA1C", "HbA1c")
    assert egfr.label == "DFG & créatinine"
    assert hba1c.specimen_at == datetime(2025, 3, 20, 7, 15, tzinfo=UTC)
    assert (bnp.identity.given, bnp.identity.ins, bnp.order) == ("Jean Pierre", None, "25032002")


def test_hl7_correction_is_flagged() -> None:
    (result,) = read("hl7-oru-correction.hl7").results
    assert result.corrected and (result.order, result.test, result.value) == ("25032001", "4548-4", "6,8")


@pytest.mark.parametrize(
    ("text", "number", "comparator"),
    [
        ("7,2", 7.2, None),
        ("7.2", 7.2, None),
        (">10", 10.0, ">"),
        ("<0,5", 0.5, "<"),
        ("≥ 3", 3.0, ">="),
        ("voir commentaire", None, None),
        ("1e3", None, None),
        ("", None, None),
    ],
)
def test_values_as_labs_write_them(text: str, number: float | None, comparator: str | None) -> None:
    value = read_value(text)
    assert (value.number, value.comparator) == (number, comparator)


def test_every_line_ending_and_a_windows_1252_ellipsis_that_is_not_a_line_break() -> None:
    text, encoding = decode("a…\r\nb\rc\nd".encode("cp1252"))
    assert encoding == "windows-1252"
    assert lines(text) == ["a…", "b", "c", "d"]


def test_an_empty_file_is_refused() -> None:
    found = parse(b"\r\n\r\n")
    assert found.refused and french(found.problems[0]) == "Le fichier est vide."
