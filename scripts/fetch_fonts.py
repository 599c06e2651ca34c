"""Fetch the pinned Noto fonts into handouts/fonts/noto/ (scripts/setup.sh runs this).

Each Debian package named in handouts/fonts/sources.toml is downloaded once into a cache
folder, checked against its sha256, opened with dpkg-deb, and the listed files are copied
out, each checked against its own sha256. Files already in place with the right digest are
left alone, so a second run does nothing. Runs on the system Python (3.11+, standard
library only), before handouts itself is installed.

    python3 scripts/fetch_fonts.py [--check]

--check only verifies the files in place and exits 1 naming any that are missing or
differ. HANDOUTS_FONT_CACHE overrides the download cache folder.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
import urllib.request
from pathlib import Path

FONTS = Path(__file__).resolve().parent.parent / "handouts" / "fonts"
SOURCES = FONTS / "sources.toml"
TARGET = FONTS / "noto"


def digest(path: Path) -> str:
    sha = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            sha.update(block)
    return sha.hexdigest()


def destination(package: str, member: str) -> Path:
    """Fonts keep their file name; a package's licence file is named after the package."""
    name = Path(member).name
    return TARGET / (f"{package}.copyright" if name == "copyright" else name)


def stale(packages: dict) -> dict[str, list[str]]:
    """Package -> the members whose copy in TARGET is missing or differs."""
    wanted: dict[str, list[str]] = {}
    for package, spec in packages.items():
        for member, sha in spec["files"].items():
            path = destination(package, member)
            if not path.is_file() or digest(path) != sha:
                wanted.setdefault(package, []).append(member)
    return wanted


def download(package: str, spec: dict, cache: Path) -> Path:
    deb = cache / Path(spec["url"]).name
    if deb.is_file() and digest(deb) == spec["sha256"]:
        return deb
    cache.mkdir(parents=True, exist_ok=True)
    print(f"Downloading {package} {spec['version']} from Debian's archive")
    partial = deb.with_suffix(".part")
    try:
        with (
            urllib.request.urlopen(spec["url"], timeout=60) as response,
            open(partial, "wb") as out,
        ):
            shutil.copyfileobj(response, out)
    except OSError as error:
        sys.exit(f"cannot download {spec['url']}: {error}")
    found = digest(partial)
    if found != spec["sha256"]:
        partial.unlink()
        sys.exit(
            f"{spec['url']}: sha256 {found} differs from the pin in {SOURCES.name} "
            f"({spec['sha256']}); the download is not used"
        )
    os.replace(partial, deb)
    return deb


def extract(package: str, deb: Path, members: list[str], spec: dict) -> None:
    """Copy members out of the package's data archive, each checked before it is kept."""
    TARGET.mkdir(parents=True, exist_ok=True)
    with subprocess.Popen(["dpkg-deb", "--fsys-tarfile", str(deb)], stdout=subprocess.PIPE) as proc:
        assert proc.stdout is not None
        wanted = {f"./{m}": m for m in members}
        with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
            for info in archive:
                member = wanted.pop(info.name, None)
                source = archive.extractfile(info) if member else None
                if member is None or source is None:
                    continue
                target = destination(package, member)
                with tempfile.NamedTemporaryFile(dir=TARGET, delete=False) as out:
                    shutil.copyfileobj(source, out)
                if digest(Path(out.name)) != spec["files"][member]:
                    os.unlink(out.name)
                    sys.exit(f"{package}: {member} differs from its pin in {SOURCES.name}")
                os.chmod(out.name, 0o644)
                os.replace(out.name, target)
    if proc.returncode:
        sys.exit(f"dpkg-deb could not read {deb}")
    if wanted:
        sys.exit(f"{package}: not in the package: {', '.join(wanted.values())}")


def main(argv: list[str]) -> int:
    packages = tomllib.loads(SOURCES.read_text(encoding="utf-8"))["packages"]
    wanted = stale(packages)
    if "--check" in argv:
        for package, members in wanted.items():
            for member in members:
                print(f"missing or changed: {destination(package, member)} ({package})")
        return 1 if wanted else 0
    cache = Path(
        os.environ.get("HANDOUTS_FONT_CACHE")
        or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "handouts"
    )
    for package, members in wanted.items():
        spec = packages[package]
        extract(package, download(package, spec, cache), members, spec)
        print(f"Installed {len(members)} files of {package} {spec['version']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
