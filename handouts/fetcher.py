"""A URL fetcher that serves bundled files and data: URLs, and refuses everything else.

WeasyPrint's default fetcher opens any file:// path and any network URL a document names.
Content is untrusted text and a clinic may add its own templates, so rendering may only
read the bundled fonts and templates, and the clinic's template folders.

A relative address in a template (``<img src="logo.png">``, ``url(bullet.png)``) is
resolved against the bundled templates folder, then looked up in the clinic's folders
first, as the templates themselves are: a file there of the same name wins.
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


class LockedFetcher(URLFetcher):
    def __init__(self, template_dirs: tuple[Path, ...] = (), font_dirs: tuple[Path, ...] = ()):
        """template_dirs: a clinic's template folders; font_dirs: the folders of fonts a
        content folder adds (languages.toml)."""
        super().__init__(allowed_protocols={"file", "data"}, allow_redirects=False)
        self.template_dirs = tuple(Path(d).resolve() for d in template_dirs)
        self.allowed_dirs = (
            FONTS_DIR.resolve(),
            TEMPLATES_DIR.resolve(),
            *self.template_dirs,
            *(Path(d).resolve() for d in font_dirs),
        )

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            return super().fetch(url, headers)
        if scheme == "file":
            parts = urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                raise RefusedURL(f"refused {url}: remote file URL")
            path = self._clinic_first(Path(url2pathname(unquote(parts.path))).resolve())
            if any(path.is_relative_to(d) for d in self.allowed_dirs) and path.is_file():
                return super().fetch(path.as_uri(), headers)
        mine = ", the clinic's template folders" if self.template_dirs else ""
        raise RefusedURL(
            f"refused {url}: only bundled fonts, templates{mine} and data: URLs may be loaded"
        )

    def _clinic_first(self, path: Path) -> Path:
        """A bundled template file's path, or the first clinic folder's file of that name."""
        bundled = TEMPLATES_DIR.resolve()
        if not self.template_dirs or not path.is_relative_to(bundled):
            return path
        for folder in self.template_dirs:
            # Resolved again, so that a link in the clinic's folder cannot lead out of it.
            candidate = (folder / path.relative_to(bundled)).resolve()
            if candidate.is_relative_to(folder) and candidate.is_file():
                return candidate
        return path
