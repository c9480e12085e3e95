"""The coverage commands on real Rutland files, from import to the DERI validation report.

Real inputs (``../shared/data``): the 2023 wards, the 2021 LSOAs, Census 2021 population, the
2018 OpenStreetMap extract (walking and driving networks), the Sitefinder sites within 5 km, the
OSM masts and help places, and DERI v1.6.  Rutland has no open street-cabinet or exchange file,
so the cabinets and exchanges used here are SYNTHETIC: placed by this test at the middle of the
estimated premises of each 1.5 km (cabinets) or 6 km (exchanges) grid square.  The rank
correlation printed by ``validate-broadband`` is therefore a check of the pipeline, not of
Rutland's network.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import numpy as np
import pandas as pd
import pytest
from flask import Flask
from pyproj import Transformer
from sqlalchemy import func, select

from app.coverage.models import (
    AreaCoverage,
    AvailabilityLayerRecord,
    FixedAsset,
    OfcomImport,
    PremisesCoverage,
)
from app.places.models import ModelRun, Premises
from tests.app.coverage.conftest import geo
from tests.databases import Database
from tests.shared_data import SHARED_DATA

RUTLAND = SHARED_DATA / "rutland"
PBF = SHARED_DATA / "osm" / "rutland-2018-02-27.osm.pbf"
POIS = SHARED_DATA / "osm" / "rutland_community_digital_pois_2018.geojson"
DERI = RUTLAND / "rutland_deri_v1.6_depahri_lsoa11.csv"

pytestmark = pytest.mark.realdata

TO_WGS84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)


def _premises_xy(database: Database) -> np.ndarray:
    with database.factory() as session:
        rows = session.execute(select(Premises.x_m, Premises.y_m)).all()
    return np.asarray(rows, dtype=float)


def _grid_centres(xy: np.ndarray, cell_m: float, min_premises: int) -> np.ndarray:
    """The middle of the premises in each grid square holding at least ``min_premises``."""
    cells = np.floor(xy / cell_m).astype(np.int64)
    frame = pd.DataFrame({"cx": cells[:, 0], "cy": cells[:, 1], "x": xy[:, 0], "y": xy[:, 1]})
    grouped = frame.groupby(["cx", "cy"]).agg(x=("x", "mean"), y=("y", "mean"), n=("x", "size"))
    return grouped.loc[grouped["n"] >= min_premises, ["x", "y"]].to_numpy()


class RutlandRun(NamedTuple):
    """The app on a database holding Rutland's places and a coverage model run."""

    app: Flask
    folder: Path
    outputs: dict[str, str]
    """What each import and the model run printed, by step name."""


@pytest.fixture(scope="module")
def rutland(
    module_app: Flask, database: Database, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RutlandRun]:
    """Every import and one model run, done here so that each test stands alone (any order,
    any worker); tests that change the stored inputs put them back."""
    app = module_app
    folder = tmp_path_factory.mktemp("rutland_coverage")
    for args in (
        ("import-areas", RUTLAND / "rutland_wards_2023.geojson"),
        ("import-areas", RUTLAND / "rutland_lsoa2021.geojson"),
        ("import-population", RUTLAND / "rutland_population_age_lsoa.csv"),
        ("import-osm", PBF),
        ("import-premises", "--estimate"),
        ("import-places", POIS),
    ):
        result = geo(app, *args)
        assert result.exit_code == 0, result.output

    xy = _premises_xy(database)
    # SYNTHETIC street cabinets (CSV with lat/lon) and exchanges (GeoJSON points).
    cabinets = _grid_centres(xy, 1500.0, 20)
    lon, lat = TO_WGS84.transform(cabinets[:, 0], cabinets[:, 1])
    pd.DataFrame(
        {
            "cabinet_id": [f"SYN-CAB-{i:03d}" for i in range(len(cabinets))],
            "lat": np.round(lat, 6),
            "lon": np.round(lon, 6),
        }
    ).to_csv(folder / "synthetic_cabinets.csv", index=False)
    exchanges = _grid_centres(xy, 6000.0, 100)
    lon, lat = TO_WGS84.transform(exchanges[:, 0], exchanges[:, 1])
    (folder / "synthetic_exchanges.geojson").write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"exchange_id": f"SYN-EX-{i}", "name": f"Synthetic {i}"},
                        "geometry": {"type": "Point", "coordinates": [x, y]},
                    }
                    for i, (x, y) in enumerate(zip(lon, lat, strict=True))
                ],
            }
        )
    )
    outputs: dict[str, str] = {}
    for name, args in (
        ("sitefinder", ("import-sites", RUTLAND / "rutland_sitefinder_sites_5km.csv")),
        ("osm masts", ("import-sites", POIS)),
        ("cabinets", ("import-cabinets", folder / "synthetic_cabinets.csv")),
        ("exchanges", ("import-exchanges", folder / "synthetic_exchanges.geojson")),
        ("model", ("model",)),
    ):
        result = geo(app, *args)
        outputs[name] = result.output
        assert result.exit_code == 0, result.output
    yield RutlandRun(app, folder, outputs)


def test_sites_cabinets_exchanges_and_the_model_run(
    rutland: RutlandRun, database: Database
) -> None:
    outputs, folder = rutland.outputs, rutland.folder
    assert "Loaded 27 mobile site records" in outputs["osm masts"]
    cabinets = pd.read_csv(folder / "synthetic_cabinets.csv")
    assert f"Loaded {len(cabinets)} cabinets from synthetic_cabinets.csv" in outputs["cabinets"]
    assert "Rejected: none." in outputs["cabinets"]
    assert re.search(r"Loaded \d+ exchanges from synthetic_exchanges.geojson", outputs["exchanges"])

    model = outputs["model"]
    assert "Coverage: fixed broadband, 4G/5G and public Wi-Fi:" in model
    # Airwave (TETRA) and Network Rail (GSM-R) are not public networks; OSM masts name no
    # operator: all are left out, and the run says so.
    assert "3 not a public network" in model
    assert "27 operator unknown" in model
    assert "15 wards, 26 LSOAs" in model

    with database.factory() as session:
        premises = session.scalar(select(func.count()).select_from(Premises))
        stored = session.scalar(select(func.count()).select_from(PremisesCoverage))
        lsoa_rows = session.scalars(select(AreaCoverage).where(AreaCoverage.kind == "lsoa")).all()
        # The first coverage run (the full-fibre test runs the model again).
        run = session.scalars(
            select(ModelRun).where(ModelRun.kind == "coverage").order_by(ModelRun.id).limit(1)
        ).one()
        on_network = session.scalar(
            select(func.count())
            .select_from(PremisesCoverage)
            .where(PremisesCoverage.copper_on_network)
        )
    assert stored == premises > 15_000
    assert len(lsoa_rows) == 26
    assert sum(row.premises for row in lsoa_rows) == premises
    # T-Mobile and Orange formed EE; their 2012 records count as EE.
    assert run.summary["operators"] == ["EE", "O2", "Vodafone"]
    assert run.summary["sites_skipped"] == {"not a public network": 3, "operator unknown": 27}
    # Copper follows the OSM roads for almost every premises.
    assert on_network > 0.95 * premises
    # A rural county: some LSOAs have premises far from any (synthetic) cabinet.
    assert max(row.premises_below_superfast / row.premises for row in lsoa_rows) > 0.05


def test_validation_against_deri_with_the_2021_layers_lsoa11_column(
    rutland: RutlandRun,
) -> None:
    app = rutland.app
    result = geo(app, "validate-broadband", DERI, "--lookup", RUTLAND / "rutland_lsoa2021.geojson")
    assert result.exit_code == 0, result.output
    print(result.output)  # the report: shown with pytest -s
    assert "LSOA 2021 → 2011 through the lookup rutland_lsoa2021.geojson" in result.output
    rows = [line for line in result.output.splitlines() if re.match(r"E0101\d{4} ", line)]
    assert len(rows) == 23  # every Rutland LSOA 2011, the split ones rebuilt from their parts
    match = re.search(r"Spearman rank correlation over 23 LSOAs: (-?\d\.\d{3})", result.output)
    assert match is not None, result.output
    assert -1.0 <= float(match.group(1)) <= 1.0


def test_validation_without_a_lookup_keeps_unchanged_codes_only(
    rutland: RutlandRun,
) -> None:
    app = rutland.app
    result = geo(app, "validate-broadband", DERI)
    assert result.exit_code == 0, result.output
    assert "only codes unchanged since 2011 match" in result.output
    # The five 2021 LSOAs made by splitting two 2011 ones have no 2011 code of their own.
    assert "Left out: 5 LSOA codes not in the DERI file" in result.output
    assert "Spearman rank correlation over 21 LSOAs" in result.output


def test_validation_with_a_lookup_for_other_areas_says_nothing_matched(
    rutland: RutlandRun,
) -> None:
    app = rutland.app
    # The ONS lookup extract covers Hounslow, Hillingdon, Havant and East Hampshire only.
    lookup = SHARED_DATA / "lookups" / "lsoa11_to_lsoa21_to_lad22_target_lads.csv"
    result = geo(app, "validate-broadband", DERI, "--lookup", lookup)
    assert result.exit_code != 0
    assert "only 0 LSOA code(s) match the DERI file" in result.output
    empty = SHARED_DATA / "rutland" / "rutland_lsoa11_to_ward2019_lookup.csv"
    result = geo(app, "validate-broadband", DERI, "--lookup", empty)
    assert result.exit_code != 0
    assert "needs the columns LSOA11CD and LSOA21CD" in result.output


def test_a_full_fibre_polygon_layer(rutland: RutlandRun, database: Database) -> None:
    app, folder = rutland.app, rutland.folder
    # SYNTHETIC: a 1 km square of full fibre around the middle of Oakham.
    x, y = 486_000.0, 308_800.0
    corners = [(x - 500, y - 500), (x + 500, y - 500), (x + 500, y + 500), (x - 500, y + 500)]
    lon, lat = TO_WGS84.transform([c[0] for c in corners], [c[1] for c in corners])
    ring = [[a, b] for a, b in zip(lon, lat, strict=True)]
    path = folder / "synthetic_fttp.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"operator": "Synthetic Fibre Ltd"},
                        "geometry": {"type": "Polygon", "coordinates": [[*ring, ring[0]]]},
                    }
                ],
            }
        )
    )
    result = geo(app, "import-availability", path, "--technology", "fttp")
    assert result.exit_code == 0, result.output
    served = int(re.search(r"serves ([\d,]+) of", result.output).group(1).replace(",", ""))  # type: ignore[union-attr]
    xy = _premises_xy(database)
    inside = int(((np.abs(xy[:, 0] - x) < 500) & (np.abs(xy[:, 1] - y) < 500)).sum())
    assert served == inside > 0
    result = geo(app, "model", "--only", "coverage")
    assert result.exit_code == 0, result.output
    with database.factory() as session:
        full_fibre = session.scalar(
            select(func.count()).select_from(PremisesCoverage).where(PremisesCoverage.full_fibre)
        )
        layers = session.scalars(
            select(AvailabilityLayerRecord).where(AvailabilityLayerRecord.technology == "fttp")
        ).all()
    assert full_fibre == inside
    assert [layer.form for layer in layers] == ["areas"]


# --- refused input: a message naming the file, row and field; nothing stored ----------------


def _cabinet_count(database: Database) -> int:
    with database.factory() as session:
        return (
            session.scalar(
                select(func.count()).select_from(FixedAsset).where(FixedAsset.kind == "cabinet")
            )
            or 0
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name,lat,lon\nA,52.67,-0.73\n", "has no cabinet id column"),
        ("cabinet_id,lat,lon\nC1,52.67,-0.73\nC2,152.67,-0.73\n", "row 2, column lat"),
        ("cabinet_id,x,y\nC1,486000,308000\nC2,four,308000\n", "row 2, column x: is not a number"),
        ("cabinet_id,lat,lon\nC1,-0.73,52.67\n", "look swapped"),
        ("cabinet_id,x,y\nC1,486000,308000\nC1,486100,308000\n", "row 2, column cabinet_id"),
        ("cabinet_id,name\nC1,Somewhere\n", "has no position columns"),
    ],
)
def test_bad_cabinet_files_are_refused(
    rutland: RutlandRun, database: Database, text: str, expected: str
) -> None:
    app, folder = rutland.app, rutland.folder
    before = _cabinet_count(database)
    path = folder / "bad_cabinets.csv"
    path.write_text(text)
    result = geo(app, "import-cabinets", path)
    assert result.exit_code != 0
    assert "bad_cabinets.csv" in result.output and expected in result.output
    assert "Nothing was stored." in result.output
    assert _cabinet_count(database) == before > 0


def test_cabinets_far_outside_the_borough_are_rejected_and_listed(
    rutland: RutlandRun, database: Database
) -> None:
    app, folder = rutland.app, rutland.folder
    path = folder / "far_cabinets.csv"
    # The first is in Oakham; the second in Cambridge (about 60 km away).
    path.write_text("cabinet_id,x,y\nNEAR,486000,308800\nFAR,545000,258000\n")
    result = geo(app, "import-cabinets", path, "--source-date", "2026-01-31")
    assert result.exit_code == 0, result.output
    assert "Loaded 1 cabinets from far_cabinets.csv (dated 2026-01-31)" in result.output
    assert "Rejected: 1." in result.output and "cabinet FAR" in result.output
    assert _cabinet_count(database) == 1
    # Restore the synthetic cabinets for the tests that follow.
    assert geo(app, "import-cabinets", folder / "synthetic_cabinets.csv").exit_code == 0


def test_a_street_layer_without_a_buffer_is_refused(
    rutland: RutlandRun, database: Database
) -> None:
    app, folder = rutland.app, rutland.folder
    path = folder / "streets.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {},
                        "geometry": {
                            "type": "LineString",
                            "coordinates": [[-0.73, 52.67], [-0.72, 52.67]],
                        },
                    }
                ],
            }
        )
    )
    result = geo(app, "import-availability", path, "--technology", "cable")
    assert result.exit_code != 0
    assert "streets.geojson, row 1" in result.output and "buffer_m" in result.output
    with database.factory() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(AvailabilityLayerRecord)
                .where(AvailabilityLayerRecord.technology == "cable")
            )
            == 0
        )
    result = geo(app, "import-availability", path, "--technology", "cable", "--buffer-m", "30")
    assert result.exit_code == 0, result.output
    assert "streets of CABLE availability" in result.output


def test_ofcom_files_that_cannot_be_matched_are_refused(
    rutland: RutlandRun, database: Database
) -> None:
    app, folder = rutland.app, rutland.folder
    ratings = folder / "ratings.csv"
    ratings.write_text("UPRN,EEDataIndoor\n100030000001,4\n")
    result = geo(app, "import-ofcom", ratings, "--kind", "mobile")
    assert result.exit_code != 0
    # Rutland's premises are estimates, with no UPRNs to match.
    assert "matches a stored premises" in result.output and "import-premises" in result.output
    output_areas = folder / "oa_coverage.csv"
    output_areas.write_text("oa11cd,SFBB availability (% premises)\nE00000001,95\n")
    result = geo(app, "import-ofcom", output_areas, "--kind", "fixed")
    assert result.exit_code != 0
    assert "no output areas are loaded" in result.output
    with database.factory() as session:
        assert session.scalar(select(func.count()).select_from(OfcomImport)) == 0
