"""Routes for enrolments (filled in with their issue)."""

from fastapi import APIRouter

router = APIRouter()
