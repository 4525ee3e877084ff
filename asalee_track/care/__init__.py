"""Use cases. Every write to clinical data and every audit record goes through here."""
