"""FHIR R4 (R4B models): mapping the domain to resources, bundles, Bulk Data export."""
