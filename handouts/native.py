"""Load WeasyPrint without its slow search for native libraries.

WeasyPrint tries several names for each of its libraries (GObject, Pango, HarfBuzz,
fontconfig), Windows and macOS names first. cffi hands each name it cannot open to
ctypes.util.find_library, which on Linux runs gcc and then ld for every miss: about 20
programs and 0.2 s at the start of every process that renders. While WeasyPrint loads,
names are looked up in the dynamic linker's cache (`ldconfig -p`) only. If a library is
not in that cache, WeasyPrint is loaded again with the full search.
"""

import contextlib
import ctypes.util
import io

from . import fontlock  # noqa: F401  (must run before WeasyPrint loads fontconfig)


@contextlib.contextmanager
def _linker_cache_lookup():
    quick = getattr(ctypes.util, "_findSoname_ldconfig", None)  # CPython on Linux
    if quick is None:
        yield
        return
    full, ctypes.util.find_library = ctypes.util.find_library, quick
    try:
        yield
    finally:
        ctypes.util.find_library = full


try:
    # A failed attempt prints WeasyPrint's installation help; the retry decides whether
    # anyone needs to read it.
    with _linker_cache_lookup(), contextlib.redirect_stdout(io.StringIO()):
        import weasyprint  # noqa: F401
except OSError:
    import weasyprint  # noqa: F401
