"""WeasyPrint's native libraries load from the linker cache, with the full search kept as a
fallback (handouts/native.py)."""

import json
import subprocess
import sys

from .conftest import REPOSITORY


def run_python(code: str) -> str:
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPOSITORY, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_weasyprint_loads_without_running_a_compiler():
    started = json.loads(
        run_python(
            "import json, sys\n"
            "programs = []\n"
            "sys.addaudithook(lambda event, args: programs.append(str(args[0]))\n"
            "                 if event == 'subprocess.Popen' else None)\n"
            "import handouts.pdf\n"
            "print(json.dumps(programs))\n"
        )
    )
    assert started, "expected at least one look at the linker cache"
    assert all(program.endswith("ldconfig") for program in started), started


def test_a_library_missing_from_the_linker_cache_is_found_by_the_full_search():
    out = run_python(
        "import ctypes.util\n"
        "ctypes.util._findSoname_ldconfig = lambda name: None   # an empty linker cache\n"
        "import handouts.pdf, weasyprint\n"
        "pdf = weasyprint.HTML(string='<p>ok</p>').write_pdf()\n"
        "print('loaded', pdf[:5].decode())\n"
    )
    # WeasyPrint's installation help, printed by the first attempt, is not shown.
    assert out == "loaded %PDF-\n"
