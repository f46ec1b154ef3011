"""What one running web app is configured with (`kehoach serve`'s options); nothing else is global."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .. import paths

MB = 1024 * 1024
UPLOAD_LIMIT = 64 * MB  # one request body at most (several forms of up to 20 MB each); refused while it is read
SESSION_HOURS = 12  # an office login lasts this long without being asked again


@dataclass(frozen=True)
class WebSettings:
    db: Path  # the database of returned forms, as every command's --db
    plan_dir: Path | None = None  # --plan (None: the embedded default plan)
    registry: Path | None = None  # --registry
    base_url: str | None = None  # how agencies reach the app (e.g. https://baocao.example.gov.vn); None: relative links
    upload_limit: int = UPLOAD_LIMIT
    session_hours: int = SESSION_HOURS
    templates: Path | None = None  # templates/web (the clerk's copy may be restyled)

    @property
    def secure_cookies(self) -> bool:
        """Cookies only over HTTPS when the app is reached by an https:// address."""
        return bool(self.base_url) and self.base_url.lower().startswith("https://")

    @property
    def template_dir(self) -> Path:
        return self.templates or paths.templates_dir() / "web"

    def link(self, path: str) -> str:
        """A path of the app as agencies are sent it: the full address with base_url, else the path itself."""
        return f"{self.base_url.rstrip('/')}{path}" if self.base_url else path
