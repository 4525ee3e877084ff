"""The mapping every practice starts with: the usual French labels and lab codes, and LOINC codes,
for the measures the protocols follow (and a few they may follow: a mapping to a measure no protocol
defines keeps the result as "not followed" until one does). Written into `lab_mapping` on first use, so
that the list can grow with a release without a migration; admins override rows per practice.
"""

# The usual French labels and lab codes, and LOINC codes, for the measures the protocols follow (and a
# few they may follow: a mapping to a measure no protocol defines keeps the result as "not followed").
# Labels are folded (lower case, no accents or punctuation); codes upper case; "" unit = any unit.
_MEASURES = {
    "hba1c": {
        "loinc": ["4548-4", "17856-6", "59261-8"],
        "code": ["HBA1C", "HBA1", "A1C", "HBGLY"],
        "label": ["hba1c", "hemoglobine glyquee", "hemoglobine glyquee hba1c", "hemoglobine a1c", "hb a1c"],
    },
    "fasting-glucose": {
        "loinc": ["1558-6", "14771-0"],
        "code": ["GLY", "GLYC", "GLU", "GAJ"],
        "label": ["glycemie a jeun", "glycemie", "glucose a jeun", "glucose"],
    },
    "ldl": {
        "loinc": ["13457-7", "39469-2", "18262-6", "2089-1"],
        "code": ["LDL", "LDLC", "LDLCALC"],
        "label": ["ldl cholesterol", "cholesterol ldl", "ldl cholesterol calcule", "ldl", "ldl c"],
    },
    "hdl": {
        "loinc": ["2085-9", "14646-4"],
        "code": ["HDL", "HDLC"],
        "label": ["cholesterol hdl", "hdl cholesterol", "hdl", "hdl c"],
    },
    "triglycerides": {
        "loinc": ["2571-8", "14927-8"],
        "code": ["TG", "TRIG", "TRIGLY"],
        "label": ["triglycerides"],
    },
    "creatinine": {
        "loinc": ["2160-0", "14682-9"],
        "code": ["CREA", "CREAT", "CREAS"],
        "label": ["creatinine", "creatininemie", "creatinine sanguine"],
    },
    "egfr": {
        "loinc": ["98979-8", "62238-1", "33914-3", "48642-3", "48643-1"],
        "code": ["DFG", "EGFR", "CKDEPI", "DFGE"],
        "label": ["dfg", "dfg ckd epi", "dfg estime", "debit de filtration glomerulaire", "dfg ckd epi 2021"],
    },
    "uacr": {
        "loinc": ["9318-7", "32294-1", "14959-1", "14958-3"],
        "code": ["RAC", "MALB", "ALBCRE", "RAC U"],
        "label": [
            "rapport albuminurie creatininurie",
            "albuminurie creatininurie",
            "microalbuminurie creatininurie",
            "rac",
            "rapport albumine creatinine urinaire",
        ],
    },
    "potassium": {
        "loinc": ["2823-3", "6298-4"],
        "code": ["K", "KALI", "POT"],
        "label": ["potassium", "kaliemie"],
    },
    "nt-probnp": {
        "loinc": ["33762-6"],
        "code": ["NTPBNP", "NTPROBNP", "PROBNP"],
        "label": ["nt probnp", "nt pro bnp", "pro bnp"],
    },
    "bnp": {"loinc": ["30934-4"], "code": ["BNP"], "label": ["bnp", "peptide natriuretique b"]},
    "hemoglobin": {"loinc": ["718-7"], "code": ["HB", "HGB"], "label": ["hemoglobine"]},
}
DEFAULTS = [
    (kind, key, measure_id)
    for measure_id, keys in _MEASURES.items()
    for kind, values in keys.items()
    for key in values
]
