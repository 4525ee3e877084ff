"""Bulk Data export (HL7 FHIR Bulk Data Access v2).

- `request`: kick-off parameters, checked into one typed `ExportRequest` the job keeps;
- `jobs`: jobs in the database (kick-off, poll, cancel, manifest) and running one;
- `ndjson`: the read snapshot and the NDJSON files, streamed;
- `rows`: the largest types built straight from the driver's rows;
- `worker`: the background thread, woken by kick-offs;
- `wakeup`: how a committed kick-off wakes it.
"""

from asalee_track.fhir.bulk.jobs import (
    EXPIRES_AFTER,
    MIN_POLL_INTERVAL,
    STALE_AFTER,
    cancel,
    claim_next,
    cleanup_expired,
    job_dir,
    job_for,
    kick_off,
    manifest,
    output_file,
    poll,
    run_job,
    run_pending,
    worker_name,
)
from asalee_track.fhir.bulk.ndjson import CHECK_EVERY, OutputFile, export_connection, write_ndjson
from asalee_track.fhir.bulk.request import (
    NDJSON,
    PATIENT_LEVEL_TYPES,
    PATIENT_SCOPED,
    ExportRequest,
    observation_filter,
    parse_request,
)
from asalee_track.fhir.bulk.worker import ExportWorker
from asalee_track.fhir.catalog import load_catalog

__all__ = [
    "CHECK_EVERY",
    "EXPIRES_AFTER",
    "MIN_POLL_INTERVAL",
    "NDJSON",
    "PATIENT_LEVEL_TYPES",
    "PATIENT_SCOPED",
    "STALE_AFTER",
    "ExportRequest",
    "ExportWorker",
    "OutputFile",
    "cancel",
    "claim_next",
    "cleanup_expired",
    "export_connection",
    "job_dir",
    "job_for",
    "kick_off",
    "load_catalog",
    "manifest",
    "observation_filter",
    "output_file",
    "parse_request",
    "poll",
    "run_job",
    "run_pending",
    "worker_name",
    "write_ndjson",
]
