"""Readers of exchange, cabinet and postcode-lookup files (tiny synthetic files, no database)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from app.coverage.presenters import rsrp_by_operator
from app.coverage.readers import read_assets, read_postcode_lookup
from app.coverage.services import rsrp_texts
from geo.coverage import MobileCoverage
from geo.errors import InputError


def test_lat_lon_become_british_national_grid(tmp_path: Path) -> None:
    path = tmp_path / "cabinets.csv"
    # The Oakham Sitefinder site of rutland_sitefinder_sites_5km.csv: X 485767.8913,
    # Y 309051.2656, lon -0.733014, lat 52.672392 (6 decimal places: about 0.1 m).
    path.write_text("Cabinet_ID , Latitude, Longitude,Exchange\nC1,52.672392,-0.733014,EX1\n")
    frame = read_assets(path, kind="cabinet")
    assert list(frame.columns) == ["reference", "name", "exchange_reference", "x_m", "y_m"]
    assert frame.loc[0, "reference"] == "C1" and frame.loc[0, "exchange_reference"] == "EX1"
    assert frame.loc[0, "x_m"] == pytest.approx(485_767.89, abs=0.5)
    assert frame.loc[0, "y_m"] == pytest.approx(309_051.27, abs=0.5)


def test_a_building_polygon_stands_for_its_exchange(tmp_path: Path) -> None:
    path = tmp_path / "exchanges.geojson"
    square = [[-0.73, 52.67], [-0.72, 52.67], [-0.72, 52.68], [-0.73, 52.68], [-0.73, 52.67]]
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"code": "EX1", "name": "Oakham"},
                        "geometry": {"type": "Polygon", "coordinates": [square]},
                    }
                ],
            }
        )
    )
    frame = read_assets(path, kind="exchange")
    assert frame.loc[0, "reference"] == "EX1" and frame.loc[0, "name"] == "Oakham"
    assert 485_000 < frame.loc[0, "x_m"] < 487_000 and 308_000 < frame.loc[0, "y_m"] < 310_500


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("cabinets.txt", "cabinet_id,x,y\n", "is not a CSV, GeoJSON"),
        ("cabinets.csv", "cabinet_id,x,y\n", "has no rows"),
        ("cabinets.csv", "cabinet_id,x,y\n,486000,308000\n", "row 1, column cabinet_id: the cabinet id is empty"),
        ("cabinets.csv", "cabinet_id,x,y\nC1,486000,2308000\n", "row 1, column y: 2.308e+06 is not a British National Grid northing"),
        ("cabinets.csv", "cabinet_id,x,y\nC1,486000,\n", "row 1, column y: is empty"),
    ],
)  # fmt: skip
def test_bad_asset_files(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    with pytest.raises(InputError) as error:
        read_assets(path, kind="cabinet")
    assert str(error.value).startswith(name)
    assert expected in str(error.value)


def test_a_line_is_not_a_cabinet(tmp_path: Path) -> None:
    path = tmp_path / "cabinets.geojson"
    path.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"id": "C1"},
                        "geometry": {"type": "LineString", "coordinates": [[-0.7, 52.6], [-0.6, 52.6]]},
                    }
                ],
            }
        )
    )  # fmt: skip
    with pytest.raises(InputError, match="row 1: is a line"):
        read_assets(path, kind="cabinet")


def test_postcode_lookup_reads_the_onspd_layout(tmp_path: Path) -> None:
    path = tmp_path / "onspd.csv"
    path.write_text(
        "pcd,pcds,lsoa11,lsoa21\nLE156AA,LE15 6AA,E01013801,E01035102\nLE156AB,LE15 6AB,E01013801,\n"
    )
    lookup = read_postcode_lookup(path, lsoa_vintage="LSOA21")
    assert lookup.to_dict() == {"LE156AA": "E01035102"}
    assert read_postcode_lookup(path, lsoa_vintage="LSOA11").to_dict() == {
        "LE156AA": "E01013801",
        "LE156AB": "E01013801",
    }
    bad = tmp_path / "no_lsoa.csv"
    bad.write_text("pcds,oa21\nLE15 6AA,E00000001\n")
    with pytest.raises(InputError, match="needs a postcode column"):
        read_postcode_lookup(bad, lsoa_vintage="LSOA21")


def test_rsrp_text_round_trips(tmp_path: Path) -> None:
    index = pd.RangeIndex(3)
    outdoor = pd.DataFrame(
        {"EE": [-87.46, np.nan, -300.04], "Three": [-101.0, -60.04, np.nan]}, index=index
    )
    empty = pd.DataFrame({"EE": np.nan, "Three": np.nan}, index=index)
    coverage = MobileCoverage(
        rsrp_4g_outdoor_dbm=outdoor,
        rsrp_4g_indoor_dbm=outdoor - 15.0,
        rsrp_5g_outdoor_dbm=empty,
        rsrp_5g_indoor_dbm=empty,
        best_site_4g=empty,
        best_site_5g=empty,
        summary=pd.DataFrame(index=index),
        operators=("EE", "Three"),
    )
    texts = pd.Series(rsrp_texts(coverage), index=index)
    first = json.loads(texts[0])
    assert first == {
        "operators": ["EE", "Three"],
        "4g_outdoor": [-87.5, -101.0],
        "4g_indoor": [-102.5, -116.0],
        "5g_outdoor": [None, None],
        "5g_indoor": [None, None],
    }
    back = rsrp_by_operator(texts)
    assert back.loc[1, "rsrp_4g_outdoor_dbm_Three"] == pytest.approx(-60.0)
    assert np.isnan(back.loc[1, "rsrp_4g_outdoor_dbm_EE"])
    # Outside the look-up table (below -250 dBm) the value is still written.
    assert back.loc[2, "rsrp_4g_outdoor_dbm_EE"] == pytest.approx(-300.0)
