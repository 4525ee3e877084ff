"""Code systems, OIDs and local namespaces used in the FHIR output (domain.md §5–6).

Kept in one place so that a test can assert on the exact values and a reviewer can check them against
the FR Core guide without reading the mapping code.
"""

# Terminologies
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
UCUM = "http://unitsofmeasure.org"
V3_ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
CONDITION_CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CONDITION_VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
CONDITION_CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
DICOM_DCM = "http://dicom.nema.org/resources/ontology/DCM"
AUDIT_ENTITY_TYPE = "http://terminology.hl7.org/CodeSystem/audit-entity-type"
AUDIT_SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
PROFESSION_G15 = "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/FHIR/TRE-G15-ProfessionSante"

# French national identifiers (FR Core). The identifier type codes live in the FR Core v2-0203 extension.
FR_IDENTIFIER_TYPE = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"
INS_NIR_OID = "urn:oid:1.2.250.1.213.1.4.8"
ID_NAT_PS_OID = "urn:oid:1.2.250.1.71.4.2.1"  # idNatPs: "8" + RPPS
ID_NAT_ST_OID = "urn:oid:1.2.250.1.71.4.2.2"  # idNatSt: "1" + FINESS
RPPS_SYSTEM = "https://rpps.esante.gouv.fr"
FINESS_SYSTEM = "https://finess.esante.gouv.fr"

# FR Core (hl7.fhir.fr.core 2.x, input/fsh): profiles, the identity extensions and their code systems.
FR_CORE = "https://hl7.fr/ig/fhir/core"
FR_CORE_PROFILE = f"{FR_CORE}/StructureDefinition/"
FR_CORE_IDENTITY_RELIABILITY = f"{FR_CORE}/StructureDefinition/fr-core-identity-reliability"
FR_CORE_BIRTH_LIST_GIVEN_NAME = f"{FR_CORE}/StructureDefinition/fr-core-patient-birth-list-given-name"
FR_CORE_INSEE_CODE = f"{FR_CORE}/StructureDefinition/fr-core-address-insee-code"
FR_CORE_IDENTITY_STATUS = f"{FR_CORE}/CodeSystem/fr-core-cs-identity-status"
FR_CORE_VALIDATION_MODE = f"{FR_CORE}/CodeSystem/fr-core-cs-mode-validation-identity"
PATIENT_BIRTH_PLACE = "http://hl7.org/fhir/StructureDefinition/patient-birthPlace"
INSEE_COMMUNE = "https://mos.esante.gouv.fr/NOS/TRE_R13-CommuneOM/FHIR/TRE-R13-CommuneOM"
V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"
# The référentiel INS's four statuses → FR Core's codes, one for one (the code system defines PROV,
# RECUP, VALI and QUAL with the RNIV's own definitions of provisoire, récupérée, validée, qualifiée).
IDENTITY_STATUS_CODES = {
    "provisoire": ("PROV", "Identité provisoire"),
    "recuperee": ("RECUP", "Identité récupérée"),
    "validee": ("VALI", "Identité validée"),
    "qualifiee": ("QUAL", "Identité qualifiée"),
}

# This application's own namespaces, for values no standard terminology covers.
LOCAL_PATIENT_ID = "urn:asalee-track:patient-local-id"  # + ":practice-<id>": one system per practice
LOCAL_USER_ID = "urn:asalee-track:user"
LOCAL_PATHWAY = "urn:asalee-track:pathway"
LOCAL_MEASURE = "urn:asalee-track:measure"
LOCAL_ACT = "urn:asalee-track:delegated-act"
LOCAL_RULE = "urn:asalee-track:rule"
LOCAL_SESSION_KIND = "urn:asalee-track:session-kind"
LOCAL_CODES = "urn:asalee-track:codes"  # protocol answers with no verified standard code

# Short system names used in protocol files and observation rows → URIs.
SHORT_SYSTEMS = {"snomed": SNOMED, "loinc": LOINC, "local": LOCAL_CODES}

# People: PractitionerRole.code per application role (SNOMED occupation + the French profession code).
ROLE_CODES: dict[str, list[dict[str, str]]] = {
    "nurse": [
        {"system": SNOMED, "code": "106292003", "display": "Professional nurse"},
        {"system": PROFESSION_G15, "code": "60", "display": "Infirmier"},
    ],
    "gp": [
        {"system": SNOMED, "code": "62247001", "display": "General practitioner"},
        {"system": PROFESSION_G15, "code": "10", "display": "Médecin"},
    ],
}
