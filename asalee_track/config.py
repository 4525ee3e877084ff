"""Configuration, only from the environment (ASALEE_*) or a .env file."""

import hashlib
import hmac
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

from asalee_track import PROJECT_ROOT

DATA_DIR = PROJECT_ROOT / "var"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ASALEE_", env_file=".env", extra="ignore")

    # "production" refuses to start with demo accounts or without a configured secret, and serves
    # cookies and headers for HTTPS only (docs/exploitation.md); the default suits a demo or a test.
    env: Literal["development", "production"] = "development"

    database_url: str = f"sqlite:///{DATA_DIR / 'asalee.db'}"
    # Empty means: generate one on first run and keep it in var/, so that sessions survive restarts.
    secret_key: str = ""
    # Keys the audit chain; empty means derived from the secret key. Never stored in the database.
    audit_key: str = ""
    protocols_dir: Path = PROJECT_ROOT / "protocols"
    templates_dir: Path = PROJECT_ROOT / "templates"
    export_dir: Path = DATA_DIR / "exports"
    # Cookies marked Secure only behind TLS; a practice's local machine serves plain HTTP on loopback.
    # Production mode always marks them Secure.
    secure_cookies: bool = False
    # Addresses of the reverse proxies whose X-Forwarded-Proto/-For headers are believed.
    trusted_proxies: str = "127.0.0.1"
    # A request body larger than this is refused (413); one that arrives slower than this is cut (408).
    max_request_mb: int = 10
    body_timeout_seconds: float = 30.0
    header_timeout_seconds: float = 10.0  # a connection whose request headers take longer is closed
    session_idle_minutes: int = 120  # slides with activity
    session_absolute_hours: int = 12  # a login ends after this, however active
    # Failed logins before delays start (care/login_throttle.py): this email from this address, this
    # address whatever the email, and this email from anywhere (browsers it logged in from are spared).
    login_max_failures: int = 5
    login_client_max_failures: int = 20
    login_account_max_failures: int = 10
    login_window_minutes: int = 15

    @property
    def production(self) -> bool:
        return self.env == "production"

    @property
    def https_only(self) -> bool:
        return self.production or self.secure_cookies

    def resolved_secret_key(self) -> str:
        if self.secret_key:
            return self.secret_key
        key_file = DATA_DIR / "secret_key"
        if not key_file.exists():
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()

    def resolved_audit_key(self) -> bytes:
        if self.audit_key:
            return self.audit_key.encode()
        return hmac.new(
            self.resolved_secret_key().encode(), b"asalee-track audit chain", hashlib.sha256
        ).digest()


@lru_cache
def get_settings() -> Settings:
    return Settings()
