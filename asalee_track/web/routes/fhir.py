"""Routes for fhir (filled in with their issue)."""

from fastapi import APIRouter

router = APIRouter()
