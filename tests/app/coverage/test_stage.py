"""The coverage stage of ``geo model`` with layers missing, and the mobile-site conversion.

Each test starts from an empty database with Rutland's real wards and LSOAs and 60 SYNTHETIC
premises scattered around Oakham (there is no open address file for Rutland); cabinets are
synthetic too.  Masts come from the real OSM and Sitefinder files.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from flask import Flask
from pyproj import Transformer
from sqlalchemy import func, select

from app import create_app
from app.coverage import services
from app.coverage.models import AreaCoverage, PremisesCoverage
from app.coverage.settings import UNKNOWN_OPERATOR, CoverageSettings
from app.database import db_session
from app.places import services as places
from app.places.models import ModelRun, Premises
from tests.app.coverage.conftest import client_as, geo
from tests.conftest import app_config
from tests.databases import Database
from tests.pages import parse
from tests.shared_data import SHARED_DATA

RUTLAND = SHARED_DATA / "rutland"
POIS = SHARED_DATA / "osm" / "rutland_community_digital_pois_2018.geojson"
SITEFINDER = RUTLAND / "rutland_sitefinder_sites_5km.csv"
OAKHAM = (486_000.0, 308_800.0)


def _with_premises(app: Flask) -> None:
    for path in ("rutland_wards_2023.geojson", "rutland_lsoa2021.geojson"):
        assert geo(app, "import-areas", RUTLAND / path).exit_code == 0
    rng = np.random.default_rng(7)
    x = OAKHAM[0] + rng.uniform(-2000, 2000, 60)
    y = OAKHAM[1] + rng.uniform(-2000, 2000, 60)
    # One reference a spreadsheet would run as a formula, to check downloads escape it.
    references = ["=SUM(1)", *[f"SYN{i:03d}" for i in range(1, 60)]]
    premises = gpd.GeoDataFrame(
        {"premises_id": references},
        geometry=gpd.points_from_xy(x, y),
        crs="EPSG:27700",
    )
    with app.app_context():
        places.store_premises(db_session(), premises, source="synthetic premises (test)")
        db_session().commit()


def _with_cabinets(app: Flask, folder: Path) -> None:
    path = folder / "synthetic_cabinets.csv"
    path.write_text(
        "cabinet_id,x,y\n"
        f"SYN1,{OAKHAM[0]},{OAKHAM[1]}\n"
        f"SYN2,{OAKHAM[0] + 1500},{OAKHAM[1] - 1500}\n"
    )
    assert geo(app, "import-cabinets", path).exit_code == 0


def _nothing_stored(db: Database) -> None:
    with db.factory() as session:
        assert session.scalar(select(func.count()).select_from(PremisesCoverage)) == 0
        assert session.scalar(select(func.count()).select_from(AreaCoverage)) == 0
        assert session.scalar(select(func.count()).select_from(ModelRun)) == 0


def test_no_premises(app: Flask, db: Database) -> None:
    result = geo(app, "model", "--only", "coverage")
    assert result.exit_code != 0
    assert "There are no premises" in result.output
    assert "flask --app app geo import-premises PATH" in result.output
    _nothing_stored(db)


def test_no_cabinets_names_the_layer_and_the_command(app: Flask, db: Database) -> None:
    _with_premises(app)
    result = geo(app, "model", "--only", "coverage")
    assert result.exit_code != 0
    assert (
        "There are no street cabinets, so fixed broadband by FTTC cannot be modelled: load "
        "street cabinets with `flask --app app geo import-cabinets PATH`." in result.output
    )
    assert "Nothing was stored." in result.output
    _nothing_stored(db)


def test_no_mobile_sites(app: Flask, db: Database, tmp_path: Path) -> None:
    _with_premises(app)
    _with_cabinets(app, tmp_path)
    result = geo(app, "model", "--only", "coverage")
    assert result.exit_code != 0
    assert "There are no mobile sites" in result.output
    assert "flask --app app geo import-sites PATH" in result.output
    _nothing_stored(db)


def test_masts_of_unknown_operator_only(app: Flask, db: Database, tmp_path: Path) -> None:
    _with_premises(app)
    _with_cabinets(app, tmp_path)
    assert geo(app, "import-sites", POIS).exit_code == 0
    result = geo(app, "model", "--only", "coverage")
    assert result.exit_code != 0
    assert "None of the 27 stored mobile site records can be modelled (27 operator unknown)" in (
        result.output
    )
    assert "COVERAGE_UNKNOWN_OPERATOR_SITES" in result.output
    _nothing_stored(db)


def test_masts_of_unknown_operator_modelled_as_one_shared_network(
    db: Database, tmp_path: Path
) -> None:
    app = create_app(app_config(db, COVERAGE_UNKNOWN_OPERATOR_SITES="shared"))
    _with_premises(app)
    _with_cabinets(app, tmp_path)
    assert geo(app, "import-sites", POIS).exit_code == 0
    result = geo(app, "model", "--only", "coverage")
    assert result.exit_code == 0, result.output
    # Optional layers that are missing are named, with the command that loads them.
    assert "No telephone exchanges" in result.output and "geo import-exchanges" in result.output
    assert "No driving network" in result.output and "--mode drive" in result.output
    assert "No public Wi-Fi places" in result.output
    assert "No full fibre, cable or fixed wireless availability layer" in result.output
    assert "Wi-Fi not modelled" in result.output
    with db.factory() as session:
        rows = session.execute(
            select(
                PremisesCoverage.good_4g_outdoor_any,
                PremisesCoverage.good_4g_indoor_all,
                PremisesCoverage.within_wifi_reach,
                PremisesCoverage.copper_on_network,
            )
        ).all()
        run = session.scalars(select(ModelRun)).one()
    assert len(rows) == 60
    assert any(row[0] for row in rows)
    # "All operators" is judged over named networks only, and there are none.
    assert not any(row[1] for row in rows)
    assert all(row[2] is None for row in rows)  # Wi-Fi not modelled: unknown, not "no"
    assert not any(row[3] for row in rows)  # no road network: straight line × 1.3
    assert run.summary["operators"] == [UNKNOWN_OPERATOR]
    assert run.parameters["unknown_operator_sites"] == "shared"


def test_site_records_take_documented_stand_ins(app: Flask, db: Database) -> None:
    _with_premises(app)
    assert geo(app, "import-sites", SITEFINDER).exit_code == 0
    with app.app_context():
        sites, report = services.mobile_site_table(db_session(), CoverageSettings())
        legacy_dropped, _ = services.mobile_site_table(
            db_session(), CoverageSettings(legacy_sites_as_4g=False)
        )
    assert report.records == 13
    assert report.skipped == {"not a public network": 3}
    # Sitefinder gives no power or antenna height: every used record takes the stand-ins.
    assert report.defaults_used == {"antenna height": 10, "power": 10}
    assert sorted(set(sites["operator"])) == ["EE", "O2", "Vodafone"]
    assert (sites["antenna_height_m"] == 25.0).all()
    assert set(sites["technology"]) == {"4G"}
    assert legacy_dropped.empty  # every Sitefinder record is 2G or 3G


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("COVERAGE_VDSL_CURVE", "optimistic"),
        ("COVERAGE_UNKNOWN_OPERATOR_SITES", "sometimes"),
        ("COVERAGE_INDOOR_4G_DBM", -200.0),
        ("COVERAGE_BUILDING_LOSS_MODEL", "cardboard"),
    ],
)
def test_bad_settings_are_refused_when_read(key: str, value: object) -> None:
    with pytest.raises(ValueError, match=r"must"):
        CoverageSettings.from_config({key: value})


def test_assumptions_flag_the_unverified_values() -> None:
    assumptions = {item.name: item for item in CoverageSettings().assumptions()}
    assert assumptions["Good 4G signal outdoors"].unverified is False
    assert assumptions["Good 4G signal indoors"].unverified is True
    assert assumptions["Copper route where the road network does not reach"].unverified
    assert (
        "straight line × 1.3"
        in assumptions["Copper route where the road network does not reach"].value
    )
    assert assumptions["Masts of unknown operator"].status == "choice"
    changed = CoverageSettings(outdoor_4g_dbm=-100.0).assumptions()
    assert next(a for a in changed if a.name == "Good 4G signal outdoors").unverified


def _synthetic_output_areas(folder: Path) -> Path:
    """Four SYNTHETIC 2 km squares around Oakham with made-up 2011 output-area codes."""
    to_wgs84 = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    features = []
    for number, (dx, dy) in enumerate(((-1, -1), (0, -1), (-1, 0), (0, 0)), start=1):
        x0, y0 = OAKHAM[0] + 2000 * dx, OAKHAM[1] + 2000 * dy
        xs = [x0, x0 + 2000, x0 + 2000, x0, x0]
        ys = [y0, y0, y0 + 2000, y0 + 2000, y0]
        lon, lat = to_wgs84.transform(xs, ys)
        features.append(
            {
                "type": "Feature",
                "properties": {"OA11CD": f"E0000000{number}"},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[a, b] for a, b in zip(lon, lat, strict=True)]],
                },
            }
        )
    path = folder / "synthetic_oa.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_output_area_figures_compared_with_ofcom(app: Flask, db: Database, tmp_path: Path) -> None:
    _with_premises(app)
    result = geo(app, "import-areas", _synthetic_output_areas(tmp_path))
    assert result.exit_code == 0, result.output
    _with_cabinets(app, tmp_path)
    assert geo(app, "import-sites", SITEFINDER).exit_code == 0
    result = geo(app, "model", "--only", "coverage")
    assert result.exit_code == 0, result.output
    with db.factory() as session:
        output_areas = session.scalars(
            select(AreaCoverage).where(AreaCoverage.kind == "oa").order_by(AreaCoverage.code)
        ).all()
    # The 60 premises lie within 2 km of the middle of Oakham: all in the four squares.
    assert [row.code for row in output_areas] == [f"E0000000{n}" for n in range(1, 5)]
    assert sum(row.premises for row in output_areas) == 60

    ofcom = tmp_path / "synthetic_fixed_oa_coverage_r01.csv"
    ofcom.write_text(
        "output_area,All Premises,% of premises unable to receive 30Mbit/s,"
        "Gigabit availability (% premises)\n"
        "E00000001,10,25,0\nE00000002,30,5,100\nE00000003,10,0,0\nE00000004,10,0,0\n"
        "E00999999,10,0,0\n"
    )
    result = geo(app, "import-ofcom", ofcom, "--kind", "fixed", "--source-date", "2025-05-01")
    assert result.exit_code == 0, result.output
    assert "for 4 output areas" in result.output and "E00999999" in result.output
    planner = client_as(app, db, "planner")
    page = parse(planner.get("/coverage/reported"))
    captions = [caption.get_text(strip=True) for caption in page.soup.select("caption")]
    assert "By output area" in captions and "By ward" in captions
    table = page.soup.select("table")[captions.index("By output area")]
    first = next(row for row in table.select("tbody tr") if "E00000001" in row.get_text())
    cells = [cell.get_text(strip=True) for cell in first.select("td")]
    expected = output_areas[0].premises_below_superfast / output_areas[0].premises
    assert cells[1] == f"{expected * 100:.0f}% / 25%"
    # Wards: reported shares weighted by each output area's premises.
    ward_table = page.soup.select("table")[captions.index("By ward")]
    assert len(ward_table.select("tbody tr")) >= 1
    assert "2025-05-01" in page.text()


def test_councillors_see_small_counts_suppressed(app: Flask, db: Database, tmp_path: Path) -> None:
    _with_premises(app)
    _with_cabinets(app, tmp_path)
    assert geo(app, "import-sites", SITEFINDER).exit_code == 0
    assert geo(app, "model", "--only", "coverage").exit_code == 0
    with db.factory() as session:
        wards = session.scalars(select(AreaCoverage).where(AreaCoverage.kind == "ward")).all()
    small = [ward for ward in wards if 0 < ward.premises < 10]
    assert small, "60 premises around Oakham leave some wards with fewer than 10"
    councillor = client_as(app, db, "councillor")
    text = parse(councillor.get("/coverage/")).text()
    assert "fewer than 10" in text and "not shown" in text
    planner = client_as(app, db, "planner")
    planner_page = parse(planner.get("/coverage/"))
    assert "fewer than 10" not in planner_page.text()


def test_premises_downloads(app: Flask, db: Database, tmp_path: Path) -> None:
    _with_premises(app)
    _with_cabinets(app, tmp_path)
    assert geo(app, "import-sites", SITEFINDER).exit_code == 0
    assert geo(app, "model", "--only", "coverage").exit_code == 0
    planner = client_as(app, db, "planner")
    response = planner.get("/coverage/download/premises.csv")
    assert response.headers["Content-Disposition"] == "attachment; filename=coverage-premises.csv"
    text = response.data.decode("utf-8-sig")
    notes = [row[0] for row in csv.reader(io.StringIO(text)) if row and row[0].startswith("# ")]
    assert notes[0].startswith("# Title: Broadband and mobile coverage by premises")
    assert any("rutland_sitefinder_sites_5km.csv" in note for note in notes)
    # No OpenStreetMap road network was used, so no OpenStreetMap credit.
    assert not any("OpenStreetMap" in note for note in notes)
    assert any(note.startswith("# Contains OS data") for note in notes)
    assert "# Some inputs are synthetic: see the source line" in notes
    table = pd.read_csv(io.StringIO(text), skiprows=len(notes))
    assert len(table) == 60
    assert "'=SUM(1)" in set(table["premises_reference"])
    assert {"tier", "download_mbps", "upload_modelled", "bduk_category"} <= set(table.columns)
    assert {"rsrp_4g_outdoor_dbm_EE", "rsrp_4g_indoor_dbm_Vodafone"} <= set(table.columns)
    assert table["longitude"].between(-0.8, -0.65).all()
    path = tmp_path / "premises.gpkg"
    path.write_bytes(planner.get("/coverage/download/premises.gpkg").data)
    frame = gpd.read_file(path)
    assert len(frame) == 60 and frame.crs.to_epsg() == 27700
    assert (frame.geom_type == "Point").all()
    assert planner.get("/coverage/download/premises.geojson").status_code == 404
    assert planner.get("/coverage/download/nothing.csv").status_code == 404


def test_a_premises_list_availability_layer(app: Flask, db: Database, tmp_path: Path) -> None:
    _with_premises(app)
    _with_cabinets(app, tmp_path)
    assert geo(app, "import-sites", SITEFINDER).exit_code == 0
    path = tmp_path / "synthetic_fwa_premises.csv"
    path.write_text(
        "uprn,available,download_mbps,upload_mbps\n"
        "SYN001,yes,50,10\nSYN002,no,50,10\nSYN003,yes,,\nNOT-HERE,yes,50,10\n"
    )
    result = geo(app, "import-availability", path, "--technology", "fwa", "--operator", "Airband")
    assert result.exit_code == 0, result.output
    assert "Loaded 3 premises of FWA availability" in result.output
    assert "serves 2 of the 60 stored premises" in result.output
    assert "Rejected: 1." in result.output and "premises NOT-HERE" in result.output
    assert geo(app, "model", "--only", "coverage").exit_code == 0
    with db.factory() as session:
        rows = {
            reference: (technology, download)
            for reference, technology, download in session.execute(
                select(
                    Premises.reference,
                    PremisesCoverage.best_technology,
                    PremisesCoverage.download_mbps,
                ).join(PremisesCoverage, PremisesCoverage.premises_id == Premises.id)
            ).all()
        }
    # SYN001 has 50 Mbit/s fixed wireless; SYN003 takes the FWA default (30/5, UNVERIFIED);
    # SYN002 is listed as not available.  FWA wins unless FTTC is at least as fast.
    for reference, speed in (("SYN001", 50.0), ("SYN003", 30.0)):
        technology, download = rows[reference]
        assert download >= speed
        assert (technology == "fwa") == (download == speed)
    assert rows["SYN002"][0] != "fwa"
    assert sum(technology == "fwa" for technology, _ in rows.values()) <= 2
    bad = tmp_path / "bad_fwa.csv"
    bad.write_text("uprn,available\nSYN001,perhaps\n")
    result = geo(app, "import-availability", bad, "--technology", "fwa")
    assert result.exit_code != 0
    assert "bad_fwa.csv, row 1, column available" in result.output


def test_the_conservative_fttc_curve_comes_from_the_settings(db: Database, tmp_path: Path) -> None:
    typical = create_app(app_config(db))
    _with_premises(typical)
    _with_cabinets(typical, tmp_path)
    assert geo(typical, "import-sites", SITEFINDER).exit_code == 0

    def fttc_speeds() -> dict[int, float]:
        with db.factory() as session:
            return dict(
                session.execute(
                    select(PremisesCoverage.premises_id, PremisesCoverage.download_mbps).where(
                        PremisesCoverage.best_technology == "vdsl"
                    )
                ).all()
            )

    assert geo(typical, "model", "--only", "coverage").exit_code == 0
    before = fttc_speeds()
    conservative = create_app(app_config(db, COVERAGE_VDSL_CURVE="conservative"))
    assert geo(conservative, "model", "--only", "coverage").exit_code == 0
    after = fttc_speeds()
    common = sorted(set(before) & set(after))
    assert common
    assert all(after[p] <= before[p] for p in common)
    assert any(after[p] < before[p] for p in common)
    with db.factory() as session:
        curves = [run.parameters["vdsl_curve"] for run in session.scalars(select(ModelRun))]
    assert sorted(curves) == ["conservative", "typical"]
