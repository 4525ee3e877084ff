"""The shipped protocols: they load cleanly and say what the clinical references say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import BaseModel

from asalee_track.protocols import Obs, Protocol, ProtocolSet, check_paths, evaluate, parse_duration, summary
from asalee_track.protocols.schema import Text

PROTOCOLS_DIR = Path(__file__).resolve().parents[3] / "protocols"
T0 = datetime(2026, 3, 10, 9, tzinfo=UTC)


def days(n: float) -> datetime:
    return T0 + timedelta(days=n)


def fired(protocol: Protocol, history: list[Obs], now: datetime = T0) -> list[str]:
    return [firing.rule_id for firing in evaluate(protocol, history, now)]


def test_the_seven_protocols_load_without_errors() -> None:
    protocols, errors = check_paths([PROTOCOLS_DIR])
    assert errors == []
    assert summary(protocols) == (
        "7 protocols valid: bpco-tabac 2026.1, diabete-type-2 2026.1, insuffisance-cardiaque 2026.1, "
        "obesite 2026.1, risque-cardiovasculaire 2026.1, suivi-cancer 2026.1, troubles-cognitifs 2026.1"
    )


def _texts(value: object) -> list[Text]:
    if isinstance(value, Text):
        return [value]
    if isinstance(value, list):
        return [text for item in value for text in _texts(item)]
    if isinstance(value, BaseModel):
        return [text for name in type(value).model_fields for text in _texts(getattr(value, name))]
    return []


def test_every_shown_text_is_bilingual(protocol_set: ProtocolSet) -> None:
    for protocol in protocol_set.values():
        texts = _texts(protocol)
        assert len(texts) > 20
        assert all(text.fr.strip() and text.en.strip() for text in texts)
        assert protocol.title.get("en-GB") == protocol.title.en
        assert protocol.title.get("de") == protocol.title.fr  # fallback: French


def test_condition_codes(protocol_set: ProtocolSet) -> None:
    codes = {
        protocol.id: (protocol.condition.snomed, protocol.condition.icd10)
        for protocol in protocol_set.values()
    }
    assert codes == {
        "diabete-type-2": (["44054006"], ["E11"]),
        "obesite": (["414916001"], ["E66"]),
        "insuffisance-cardiaque": (["84114007"], ["I50"]),
        "suivi-cancer": (["363346000", "266987004"], ["C00-C97", "Z08", "Z85"]),
        "risque-cardiovasculaire": (["38341003"], ["I10"]),
        "bpco-tabac": (["13645005", "56294008"], ["J44", "F17"]),
        "troubles-cognitifs": (["386806002"], ["R41", "F06.7"]),
    }


@pytest.mark.parametrize(
    ("protocol_id", "measures"),
    [
        (
            "diabete-type-2",
            {
                "weight",
                "bmi",
                "waist",
                "sbp",
                "dbp",
                "heart-rate",
                "hba1c",
                "fasting-glucose",
                "ldl",
                "egfr",
                "uacr",
                "foot-exam",
                "smoking",
                "activity",
            },
        ),
        (
            "obesite",
            {
                "weight",
                "height",
                "bmi",
                "waist",
                "sbp",
                "dbp",
                "hba1c",
                "fasting-glucose",
                "ldl",
                "activity",
                "smoking",
            },
        ),
        (
            "insuffisance-cardiaque",
            {"weight", "sbp", "dbp", "heart-rate", "spo2", "nt-probnp", "bnp", "egfr", "activity"},
        ),
        ("suivi-cancer", {"weight", "bmi", "pain", "ecog", "smoking", "activity"}),
        (
            "risque-cardiovasculaire",
            {
                "sbp",
                "dbp",
                "home-sbp",
                "home-dbp",
                "total-cholesterol",
                "hdl",
                "ldl",
                "triglycerides",
                "potassium",
                "creatinine",
                "egfr",
                "smoking",
            },
        ),
        (
            "bpco-tabac",
            {"smoking", "pack-years", "exhaled-co", "fev1", "fvc", "fev1-fvc", "fagerstrom", "motivation"},
        ),
        ("troubles-cognitifs", {"education-level", "moca", "mini-cog", "iadl", "phq9"}),
    ],
)
def test_measures_per_pathway_follow_domain_md(
    protocol_set: ProtocolSet, protocol_id: str, measures: set[str]
) -> None:
    assert measures <= {measure.id for measure in protocol_set[protocol_id].measures}


def test_loinc_codes_of_the_usual_measures(protocol_set: ProtocolSet) -> None:
    expected = {
        "weight": "29463-7",
        "height": "8302-2",
        "bmi": "39156-5",
        "waist": "8280-0",
        "sbp": "8480-6",
        "dbp": "8462-4",
        "heart-rate": "8867-4",
        "hba1c": "4548-4",
        "fasting-glucose": "1558-6",
        "ldl": "13457-7",
        "egfr": "98979-8",
        "spo2": "59408-5",
        "nt-probnp": "33762-6",
        "bnp": "30934-4",
        "pain": "72514-3",
        "ecog": "89247-1",
        "smoking": "72166-2",
        "activity": "68516-4",
        "home-sbp": "8480-6",
        "home-dbp": "8462-4",
        "total-cholesterol": "2093-3",
        "hdl": "2085-9",
        "triglycerides": "2571-8",
        "potassium": "2823-3",
        "creatinine": "14682-9",
        "fev1": "20150-9",
        "fvc": "19868-9",
        "fev1-fvc": "19926-5",
        "moca": "72172-0",
        "phq9": "44261-6",
    }
    for protocol in protocol_set.values():
        for measure in protocol.measures:
            if measure.id in expected:
                assert measure.loinc == expected[measure.id], (protocol.id, measure.id)


def test_t2d_hba1c(t2d: Protocol) -> None:
    hba1c = t2d.measure("hba1c")
    assert hba1c.every == parse_duration("P3M")
    assert hba1c.target is not None and hba1c.target.max == 7.0
    assert hba1c.unit == "%" and "mmol/mol" in hba1c.accepted_units
    assert hba1c.category == "laboratory"
    assert t2d.measure("uacr").every == parse_duration("P1Y")
    assert t2d.measure("ldl").every == parse_duration("P1Y")


def test_t2d_delegated_acts_follow_the_asalee_delegation(t2d: Protocol) -> None:
    acts = {act.id: act for act in t2d.delegated_acts}
    assert set(acts) == {
        "prescrire-hba1c",
        "prescrire-microalbuminurie",
        "prescrire-creatininemie",
        "prescrire-hdl",
        "prescrire-fond-oeil",
        "ecg",
        "examen-pieds-monofilament",
    }
    assert acts["examen-pieds-monofilament"].kind == "procedure"
    assert acts["examen-pieds-monofilament"].measure == "foot-exam"  # the act records its result
    assert acts["prescrire-hba1c"].kind == "prescription" and acts["prescrire-hba1c"].measure == "hba1c"
    assert acts["ecg"].code is not None and acts["ecg"].code.system_uri == "http://snomed.info/sct"


def test_heart_failure_weight_gain(hf: Protocol) -> None:
    gain = [Obs("weight", 80.0, days(-2)), Obs("weight", 82.4, T0)]
    [firing] = evaluate(hf, gain, T0)
    assert (firing.rule_id, firing.severity) == ("prise-de-poids-rapide", "high")
    assert firing.explanation.fr == "Poids +2,4 kg en 2 jours (80,0 → 82,4 kg)"
    assert fired(hf, [Obs("weight", 80.0, days(-2)), Obs("weight", 81.5, T0)]) == []
    assert fired(hf, [Obs("weight", 80.0, days(-4)), Obs("weight", 82.4, T0)]) == []  # over 4 days


def test_heart_failure_other_alerts(hf: Protocol) -> None:
    assert fired(hf, [Obs("spo2", 88.0, T0)]) == ["desaturation"]
    assert fired(hf, [Obs("nt-probnp", 800.0, days(-90)), Obs("nt-probnp", 1100.0, T0)]) == [
        "nt-probnp-en-hausse"
    ]
    assert fired(hf, [Obs("nt-probnp", 800.0, days(-90)), Obs("nt-probnp", 1000.0, T0)]) == []


def test_t2d_alerts(t2d: Protocol) -> None:
    assert fired(t2d, [Obs("hba1c", 10.5, T0)]) == ["hba1c-tres-elevee"]
    assert fired(t2d, [Obs("hba1c", 8.5, T0)]) == ["hba1c-elevee"]
    assert fired(t2d, [Obs("hba1c", 7.9, T0)]) == []
    assert fired(t2d, [Obs("sbp", 180.0, T0), Obs("dbp", 95.0, T0)]) == ["hta-severe"]
    assert fired(t2d, [Obs("fasting-glucose", 0.65, T0)]) == ["hypoglycemie"]
    assert fired(t2d, [Obs("foot-exam", "wound", T0)]) == ["pied-plaie"]
    assert fired(t2d, [Obs("egfr", 80.0, days(-300)), Obs("egfr", 58.0, T0)]) == ["dfg-en-baisse"]
    assert fired(t2d, [Obs("uacr", 35.0, T0)]) == ["albuminurie-a3"]


def test_cancer_alerts(cancer: Protocol) -> None:
    assert fired(cancer, [Obs("weight", 60.0, days(-25)), Obs("weight", 56.9, T0)]) == [
        "perte-de-poids-1-mois"
    ]
    assert fired(cancer, [Obs("pain", 5.0, days(-30)), Obs("pain", 4.0, T0)]) == ["douleur-persistante"]
    assert fired(cancer, [Obs("pain", 2.0, days(-30)), Obs("pain", 5.0, T0)]) == []
    assert fired(cancer, [Obs("ecog", 1.0, days(-60)), Obs("ecog", 2.0, T0)]) == ["ecog-aggravation"]
    assert fired(cancer, [Obs("bmi", 18.2, T0)]) == ["imc-bas"]


def test_obesity_alerts(obesity: Protocol) -> None:
    assert fired(obesity, [Obs("bmi", 41.0, T0)]) == ["obesite-classe-3"]
    assert fired(obesity, [Obs("hba1c", 6.5, T0)]) == ["hba1c-diabete"]
    assert fired(obesity, [Obs("ldl", 1.2, days(-365)), Obs("ldl", 1.1, T0)]) == ["ldl-hors-cible"]


def test_every_threshold_rule_can_fire(protocol_set: ProtocolSet) -> None:
    """A rule that can never fire is a silent bug: drive each threshold rule past its threshold."""
    for protocol in protocol_set.values():
        for rule in protocol.escalation:
            condition = rule.when
            if condition.measure is None or condition.comparator not in (
                "above",
                "below",
                "at_least",
                "at_most",
            ):
                continue
            value = getattr(condition, condition.comparator)
            step = {"above": 1, "at_least": 0, "below": -0.01, "at_most": 0}[condition.comparator]
            history = [Obs(condition.measure, value + step, days(-index)) for index in range(condition.last)]
            assert rule.id in fired(protocol, history), (protocol.id, rule.id)


# Display precision, as French clinicians and laboratories write each value.
PRECISION = {
    "weight": 1, "height": 0, "bmi": 1, "waist": 0, "sbp": 0, "dbp": 0, "heart-rate": 0, "hba1c": 1,
    "fasting-glucose": 2, "ldl": 2, "egfr": 0, "uacr": 1, "activity": 0, "spo2": 0, "nt-probnp": 0,
    "bnp": 0, "pain": 0, "ecog": 0,
    "home-sbp": 0, "home-dbp": 0, "total-cholesterol": 2, "hdl": 2, "triglycerides": 2, "potassium": 1,
    "creatinine": 0, "pack-years": 0, "exhaled-co": 0, "fev1": 2, "fvc": 2, "fev1-fvc": 0,
    "fagerstrom": 0, "moca": 0, "mini-cog": 0, "iadl": 0, "phq9": 0,
}  # fmt: skip


def test_every_shipped_measure_states_its_precision(protocol_set: ProtocolSet) -> None:
    for protocol in protocol_set.all():
        for measure in protocol.measures:
            if measure.kind == "coded":
                continue
            assert measure.decimals is not None, f"{protocol.id}: {measure.id} states no 'decimals'"
            assert measure.decimals == PRECISION[measure.id], (protocol.id, measure.id)


def test_every_shipped_unit_is_shown_as_clinicians_write_it(protocol_set: ProtocolSet) -> None:
    from asalee_track.protocols.units import display_unit

    for protocol in protocol_set.all():
        for measure in protocol.measures:
            for unit in measure.accepted_units:
                shown = display_unit(unit, "fr")
                assert not any(mark in shown for mark in "[]{}_") and shown != "/min", (
                    measure.id,
                    unit,
                    shown,
                )


def test_cardiovascular_home_series_follows_the_rule_of_3(cv: Protocol) -> None:
    series = cv.home_bp
    assert series is not None
    assert (series.days, series.per_period, series.cells, series.min_readings) == (3, 3, 18, 12)
    assert (series.sbp, series.dbp) == ("home-sbp", "home-dbp")
    assert cv.scored_measures == {"home-sbp", "home-dbp"}  # averages are computed, never typed
    home = cv.measure("home-sbp").target
    assert home is not None and home.max == 134  # normal below 135/85
    assert [act.id for act in cv.delegated_acts] == ["ecg"]


def test_cardiovascular_alerts(cv: Protocol) -> None:
    assert fired(cv, [Obs("home-sbp", 136.0, T0), Obs("home-dbp", 80.0, T0)]) == ["hta-automesure"]
    assert fired(cv, [Obs("home-sbp", 134.0, T0), Obs("home-dbp", 84.0, T0)]) == []
    assert fired(cv, [Obs("potassium", 3.2, T0)]) == ["hypokaliemie"]
    assert fired(cv, [Obs("potassium", 5.8, T0)]) == ["hyperkaliemie"]
    assert fired(cv, [Obs("sbp", 150.0, days(-90)), Obs("sbp", 145.0, T0)]) == ["pa-cabinet-hors-cible"]


def test_copd_spirometry_and_smoking(copd: Protocol) -> None:
    assert fired(copd, [Obs("fev1-fvc", 65.0, T0)]) == ["trouble-ventilatoire-obstructif"]
    assert fired(copd, [Obs("fev1-fvc", 70.0, T0)]) == []  # 0.70 itself is not obstruction
    [act] = copd.delegated_acts
    assert (act.id, act.kind, act.measure) == ("spirometrie", "procedure", "fev1-fvc")
    assert copd.measure("exhaled-co").unit == "[ppm]"
    assert copd.measure("pack-years").snomed == "401201003"
    fagerstrom = copd.instrument("fagerstrom")
    assert fagerstrom.score_range == (0, 10)
    assert [(band.min, band.max) for band in fagerstrom.bands] == [(0, 2), (3, 4), (5, 6), (7, 10)]
    assert fired(copd, [Obs("fagerstrom", 7.0, T0)]) == ["dependance-forte"]


def test_cognitive_referral_threshold_depends_on_education(cognition: Protocol) -> None:
    short, long = "12-ans-ou-moins", "plus-de-12-ans"
    assert fired(cognition, [Obs("education-level", short, T0), Obs("moca", 25.0, T0)]) == []
    assert fired(cognition, [Obs("education-level", long, T0), Obs("moca", 25.0, T0)]) == ["moca-positif"]
    assert fired(cognition, [Obs("education-level", short, T0), Obs("moca", 24.0, T0)]) == ["moca-positif"]
    assert fired(cognition, [Obs("education-level", long, T0), Obs("moca", 26.0, T0)]) == []


def test_cognitive_scales(cognition: Protocol) -> None:
    assert {i.id: i.score_range for i in cognition.instruments} == {
        "mini-cog": (0, 5),
        "iadl": (0, 4),
        "phq9": (0, 27),
    }
    assert fired(cognition, [Obs("mini-cog", 2.0, T0)]) == ["mini-cog-positif"]
    assert fired(cognition, [Obs("iadl", 1.0, T0)]) == ["perte-autonomie"]
    assert fired(cognition, [Obs("phq9", 21.0, T0)]) == ["depression-moderee", "depression-severe"]
    assert cognition.scored_measures == {"mini-cog", "iadl", "phq9"}


def test_every_instrument_says_its_licence_and_source(protocol_set: ProtocolSet) -> None:
    instruments = [i for protocol in protocol_set.values() for i in protocol.instruments]
    assert len(instruments) == 4
    assert all(i.licence in ("public-domain", "free-clinical-use") and i.source for i in instruments)
