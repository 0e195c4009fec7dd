"""What every chart shares: the font and the colours (of bands, threat levels, families, event
categories), and the flat colour scales drawn from them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from georisk.scenario.schema import UNKNOWN_FAMILY

FONT = "Source Sans, sans-serif"


def discrete_scale(colours: Sequence[str]) -> list[list]:
    """A plotly colour scale of n flat colours, each over its n-th of 0..1: with zmin/zmax set half
    a step beyond the first and last value, each of n consecutive values takes one colour."""
    n = len(colours)
    scale = []
    for i, colour in enumerate(colours):
        scale += [[i / n, colour], [(i + 1) / n, colour]]
    return scale


# One colour per band, everywhere in the app; every use also names the band, so that no one
# depends on telling the colours apart. The badge colours are Streamlit's nearest named ones.
BAND_COLOURS = {
    "Very low": "#4575b4",
    "Low": "#66bd63",
    "Medium": "#fee08b",
    "High": "#f46d43",
    "Very high": "#a50026",
}
BAND_BADGES = {"Very low": "blue", "Low": "green", "Medium": "yellow", "High": "orange", "Very high": "red"}
THREAT_COLOURS = ("#f2f0f7", "#cbc9e2", "#9e9ac8", "#756bb1", "#54278f")
FAMILY_COLOURS = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#bcbd22",
    "#ff7f0e",
    "#393b79",
    "#637939",
    "#843c39",
)
UNKNOWN_COLOUR = "#7f7f7f"


def family_colours(families: Iterable[str]) -> dict[str, str]:
    """One colour per actor family, from the dataset's whole list of families (not those in view),
    so that a family keeps its colour across pages, filters and dates."""
    known = sorted({f for f in families if f != UNKNOWN_FAMILY})
    colours = {f: FAMILY_COLOURS[i % len(FAMILY_COLOURS)] for i, f in enumerate(known)}
    colours[UNKNOWN_FAMILY] = UNKNOWN_COLOUR
    return colours


NO_RATING_COLOUR = "#d9d9d9"
CATEGORY_COLOURS = {
    "diplomatic": "#1f4e79",
    "military": "#6a3d9a",
    "economic": "#b15928",
    "energy": "#33a02c",
    "political": "#525252",
    "security": "#e31a1c",
}
