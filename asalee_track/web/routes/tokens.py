"""Routes for tokens (filled in with their issue)."""

from fastapi import APIRouter

router = APIRouter()
