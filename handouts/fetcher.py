"""A URL fetcher that serves bundled files and data: URLs, and refuses everything else.

WeasyPrint's default fetcher opens any file:// path and any network URL a document names.
Content is untrusted text and a clinic may add its own templates, so rendering may only
read the bundled fonts and templates.
"""

# First: WeasyPrint must load with the bundled fonts only and the quick library lookup.
from . import native  # noqa: F401

# isort: split
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher

from .locations import FONTS_DIR, TEMPLATES_DIR


class RefusedURL(ValueError):
    """Raised for any URL outside the allowed set."""


DEFAULT_ALLOWED = (FONTS_DIR, TEMPLATES_DIR)


class LockedFetcher(URLFetcher):
    def __init__(self, allowed_dirs: tuple[Path, ...] = DEFAULT_ALLOWED):
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.allowed_dirs = tuple(d.resolve() for d in allowed_dirs)

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                raise RefusedURL(f"refused {url}: remote file URL")
            path = Path(url2pathname(unquote(parts.path))).resolve()
            if any(path.is_relative_to(d) for d in self.allowed_dirs) and path.is_file():
                return super().fetch(path.as_uri(), headers)
        raise RefusedURL(
            f"refused {url}: only bundled fonts, templates and data: URLs may be loaded"
        )
