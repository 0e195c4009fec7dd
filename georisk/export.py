"""Files made from the current view. Each says what it is (filters, as-of date, model version,
sources), and no cell can run as a formula when a spreadsheet opens it.

CSV downloads are zip files holding the table and `<name>.metadata.json`; GeoJSON carries the
same metadata as a top-level `metadata` member (RFC 7946 allows foreign members).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import urllib.parse
import zipfile

import pandas as pd
from shapely.geometry import mapping

import georisk
from georisk import filters as flt
from georisk import links, precision, risk

# A cell starting with one of these is run as a formula by spreadsheet programs (OWASP "CSV
# injection"); such text cells get a leading apostrophe, which spreadsheets show as text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NEUTRALISED = (
    "Text cells that began with = + - @ or a tab were prefixed with an apostrophe (') so that a "
    "spreadsheet shows them as text instead of running them; remove the apostrophe to get the original."
)


def neutralise(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy whose text cells cannot start a formula. Numbers are left as numbers."""
    out = frame.copy()
    for column in out.columns:
        if pd.api.types.is_string_dtype(out[column]) or out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: "'" + v if isinstance(v, str) and v.startswith(FORMULA_START) else v
            )
    return out


def metadata(view, model: risk.ModelParams, table: str, rows: int, page_params: dict | None = None) -> dict:
    """What a file is: the view it came from, in words and as the link's query string."""
    dataset = view.dataset
    params = links.to_params(links.Link(view.filters, model, page_params or {}), view.choices)
    return {
        "title": dataset.scenario.get("title", "Geopolitical risk dashboard export"),
        "table": table,
        "rows": rows,
        "asof": view.filters.asof.isoformat(),
        "period": [view.filters.start.isoformat(), view.filters.end.isoformat()],
        "filters": {name: params[name] for name in flt.FILTER_PARAMS if name in params},
        "link_query": urllib.parse.urlencode(params, doseq=True),
        "model_version": risk.MODEL_VERSION,
        "model": {k: list(v) if isinstance(v, tuple) else v for k, v in model.__dict__.items()},
        "sources": dataset.sources_text(),
        "incidents_source": {
            "description": dataset.incident_source.description,
            "source": dataset.incident_source.source,
            "licence": dataset.incident_source.licence,
            "version": dataset.incident_source.version,
        },
        "precision_rule": precision.rule_text(model.radius_km, risk.district_km_of(dataset.scenario)),
        "licence": dataset.scenario.get("licence", ""),
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "generator": f"georisk {georisk.__version__}",
        "csv_safety": NEUTRALISED,
    }


def csv_text(frame: pd.DataFrame) -> str:
    return neutralise(frame).to_csv(index=False, date_format="%Y-%m-%d")


def csv_bundle(frame: pd.DataFrame, name: str, meta: dict) -> bytes:
    """A zip with `<name>.csv` and `<name>.metadata.json`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"{name}.csv", csv_text(frame))
        archive.writestr(f"{name}.metadata.json", json.dumps(meta, indent=2, ensure_ascii=False))
    return buffer.getvalue()


def site_table(scores: pd.DataFrame, sites: pd.DataFrame) -> pd.DataFrame:
    """The sites in view with their scores: one row each, no geometry."""
    info = sites.drop(columns="geometry").drop(
        columns=["name", "sector", "status", "partner_country", "criticality"], errors="ignore"
    )
    return scores.merge(info, on="site_id", how="left")


def sites_geojson(scores: pd.DataFrame, sites: pd.DataFrame, meta: dict) -> bytes:
    """The sites in view with their scores as properties, and the metadata, as GeoJSON."""
    table = site_table(scores, sites)
    geometry = sites.set_index("site_id").geometry
    features = []
    for record in table.to_dict("records"):
        properties = {k: _json_value(v) for k, v in record.items()}
        features.append(
            {"type": "Feature", "geometry": mapping(geometry[record["site_id"]]), "properties": properties}
        )
    document = {"type": "FeatureCollection", "metadata": meta, "features": features}
    return json.dumps(document, ensure_ascii=False).encode("utf-8")


def _json_value(value):
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if value is None or (not isinstance(value, str | list | tuple | dict) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
