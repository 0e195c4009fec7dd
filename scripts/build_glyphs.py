"""Build static/fonts/: the map's label glyphs, so that labels draw with no internet.

MapLibre draws text from pre-rendered glyph files (protobuf, one file per 256 code points) that it
fetches from the style's `glyphs` URL; plotly's default points at a server on the internet. We
serve our own copy through Streamlit's static file serving instead. The files come from the npm
package tileserver-gl-styles@2.0.0 (pinned by SHA-256), which ships Noto Sans Regular glyphs
rendered from Google's Noto Sans (SIL Open Font License 1.1). We keep the two ranges our labels
use: Basic Latin and Latin-1 (0-255) and general punctuation such as dashes (8192-8447).

Usage: python scripts/build_glyphs.py [--tarball tileserver-gl-styles-2.0.0.tgz]
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

PACKAGE = "tileserver-gl-styles@2.0.0"
SHA256 = "8424628439787e4026b1ae3454f03b18a813ec0476ef8d17b3b6beeace29b24d"
FONT = "Noto Sans Regular"
RANGES = ("0-255", "8192-8447")
OUT = Path(__file__).resolve().parent.parent / "static" / "fonts"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball
        if tarball is None:
            subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=tmp, check=True, capture_output=True)
            tarball = next(Path(tmp).glob("tileserver-gl-styles-*.tgz"))
        digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
        if digest != SHA256:
            sys.exit(f"{tarball}: SHA-256 {digest} is not the pinned {SHA256}")
        target = OUT / FONT
        target.mkdir(parents=True, exist_ok=True)
        with tarfile.open(tarball) as archive:
            for glyph_range in RANGES:
                data = archive.extractfile(f"package/fonts/{FONT}/{glyph_range}.pbf").read()
                (target / f"{glyph_range}.pbf").write_bytes(data)
                print(f"wrote {target / glyph_range}.pbf ({len(data) // 1024} KB)")


if __name__ == "__main__":
    main()
