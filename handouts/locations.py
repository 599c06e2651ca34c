"""Where the bundled content, templates and fonts live.

The package runs from a checkout (``pip install -e .``): templates, fonts and the sample
content sit beside the package, at the repository's top level.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTENT_DIR = ROOT / "content"
TEMPLATES_DIR = ROOT / "templates"
FONTS_DIR = ROOT / "fonts"


def display_path(path: Path) -> str:
    """A path as a user would type it: relative to the working directory when inside it."""
    path = Path(path).absolute()
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
