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
from pathlib import Path

import pandas as pd
from shapely.geometry import mapping

import georisk
from georisk.analysis import freshness
from georisk.feeds.refresh import read_config
from georisk.link import FILTER_PARAMS, Link, link_params
from georisk.model import context, settings
from georisk.scenario import precision
from georisk.scenario.dataset import Dataset
from georisk.text import NEUTRALISED, csv_text
from georisk.view import View


def stale_after_hours(data_dir: Path | str) -> float:
    """The data folder's stale age (DATA/refresh.toml, or GEORISK_STALE_AFTER_HOURS), the one
    limit every page, briefing and file judges freshness by."""
    return read_config(data_dir).stale_after_hours


def stamps(dataset: Dataset, stale_hours: float | None = None) -> list[freshness.Stamp]:
    """The freshness stamps of a dataset's incidents in use, judged by `stale_hours` (default:
    the data folder's stale age)."""
    hours = stale_after_hours(dataset.data_dir) if stale_hours is None else stale_hours
    return freshness.dataset_stamps(dataset, hours)


def metadata(
    view: View,
    model: settings.ModelSettings,
    table: str,
    rows: int,
    page_params: dict | None = None,
    stale_hours: float | None = None,
) -> dict:
    """What a file is: the view it came from, in words and as the link's query string, and how
    fresh its incidents were when it was made."""
    dataset = view.dataset
    params = link_params(Link(view.filters, model, page_params or {}), view.choices)
    return {
        "title": dataset.scenario.get("title", "Geopolitical risk dashboard export"),
        "table": table,
        "rows": rows,
        "asof": view.filters.asof.isoformat(),
        "period": [view.filters.start.isoformat(), view.filters.end.isoformat()],
        "filters": {name: params[name] for name in FILTER_PARAMS if name in params},
        "link_query": urllib.parse.urlencode(params, doseq=True),
        "model_version": settings.MODEL_VERSION,
        "model": {k: list(v) if isinstance(v, tuple) else v for k, v in model.__dict__.items()},
        "sources": dataset.sources_text(),
        "incidents_source": {
            "description": dataset.incident_source.description,
            "source": dataset.incident_source.source,
            "licence": dataset.incident_source.licence,
            "version": dataset.incident_source.version,
        },
        "freshness": [stamp.as_dict() for stamp in stamps(dataset, stale_hours)],
        "precision_rule": precision.rule_text(model.radius_km, context.district_km_of(dataset.scenario)),
        "licence": dataset.scenario.get("licence", ""),
        "generated_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "generator": f"georisk {georisk.__version__}",
        "csv_safety": NEUTRALISED,
    }


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


def _json_value(value: object) -> object:
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat()
    if value is None or (not isinstance(value, str | list | tuple | dict) and pd.isna(value)):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value
