"""FHIR errors: every failure answers with an OperationOutcome and a status code, never a page."""

from typing import Any

from asalee_track.care.errors import CareError


def operation_outcome(code: str, diagnostics: str, severity: str = "error") -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": severity, "code": code, "diagnostics": diagnostics}],
    }


class FhirError(CareError):
    """A refusal with its HTTP status and OperationOutcome issue code (http://hl7.org/fhir/issue-type).

    A CareError, so that the request's transaction still commits the audit record of the refusal."""

    def __init__(
        self, status: int, code: str, diagnostics: str, headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.code = code
        self.diagnostics = diagnostics
        self.headers = headers or {}

    def outcome(self) -> dict[str, Any]:
        return operation_outcome(self.code, self.diagnostics)


def bad_request(diagnostics: str) -> FhirError:
    return FhirError(400, "invalid", diagnostics)


def not_found(diagnostics: str = "Resource not found") -> FhirError:
    return FhirError(404, "not-found", diagnostics)
