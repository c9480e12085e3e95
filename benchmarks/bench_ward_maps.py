"""Ward map pages on the demo borough: page weight, first build and cached request.

The demo borough (18 wards, 100 LSOAs, about 50,000 premises) is loaded with every feature's
demo data into a temporary SQLite database; then, signed in as a planner, each map page is
requested twice: once after emptying the ward cache (the first build: providers run, the folium
map is built and rendered) and once more (served from the cache, rebuilt only when the data
version changes).

* page HTML: the whole page (map script, legends and the tables of the same figures), against
  the goal of 1 MB from reference section 5 (an OA choropleth simplified at 5 m is 0.69 MB);
* cached request vs first build: the ratio is how much the cache saves.

Pages: the borough map (every ward layer, venues with catchments, Wi-Fi, masts, indoor 4G
hexagons and the signal raster), every choropleth and circle layer page, and one ward profile.
"""

from __future__ import annotations

import gzip
import tempfile
import time
from pathlib import Path

from benchmarks import Row

SUITE = "ward maps"
SIZE_GOAL_MB = 1.0
GZIP_GOAL_MB = 0.2
SPEED_GOAL = 10.0
SEED = 2027


def _timed_get(client: object, url: str) -> tuple[float, bytes]:
    started = time.perf_counter()
    response = client.get(url)  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return elapsed, response.get_data()


def run() -> list[Row]:
    """Measure each map page of the demo borough."""
    from app import create_app
    from app.demo import load_demo_borough, load_feature_demos
    from app.models import metadata
    from app.wards.figures import MapLayerSpec
    from app.wards.services import build_cache, ward_data
    from tests.factories import make_user, sign_in

    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-wards-") as folder:
        app = create_app(
            {
                "TESTING": True,
                "DATABASE_URL": f"sqlite:///{Path(folder) / 'bench.sqlite3'}",
                "SECRET_KEY": "benchmark-secret-key-long-enough-0123456789",
                "PASSWORD_HASH_PROFILE": "cheapest",
                "WTF_CSRF_ENABLED": False,
                "RATELIMIT_ENABLED": False,
                "MAP_TILES_ONLINE": False,
                "SERVER_NAME": "planner.test",
            }
        )
        metadata.create_all(app.extensions["db_engine"])
        with app.app_context():
            load_demo_borough(SEED, echo=lambda _message: None)
            load_feature_demos(SEED, echo=lambda _message: None)
        with app.extensions["db_factory"]() as session:
            user = make_user(session, roles=["planner"], email="bench@example.org")
        client = app.test_client()
        sign_in(client, user)
        with app.test_request_context(), app.extensions["db_factory"]() as session:
            data = ward_data(app, session)
            layers = [spec for spec in data.collected.layers if isinstance(spec, MapLayerSpec)]
            ward = data.ward_codes[0]
        pages = [("borough map", "/wards/map"), (f"ward profile {ward}", f"/wards/{ward}")]
        pages += [(f"layer {spec.key}", f"/wards/maps/{spec.key}") for spec in layers]
        cache = build_cache(app)
        for label, url in pages:
            cache.clear()
            first_s, body = _timed_get(client, url)
            cached_s = min(_timed_get(client, url)[0] for _ in range(3))
            size_mb = len(body) / 1e6
            gzip_mb = len(gzip.compress(body)) / 1e6
            rows.append(
                Row(
                    SUITE,
                    f"{label}: page HTML",
                    size_mb,
                    "MB",
                    "goal",
                    SIZE_GOAL_MB,
                    f"< {SIZE_GOAL_MB:g} MB",
                    size_mb < SIZE_GOAL_MB,
                )
            )
            rows.append(
                Row(
                    SUITE,
                    f"{label}: page gzipped",
                    gzip_mb,
                    "MB",
                    "goal",
                    GZIP_GOAL_MB,
                    f"< {GZIP_GOAL_MB:g} MB",
                    gzip_mb < GZIP_GOAL_MB,
                )
            )
            rows.append(
                Row(
                    SUITE,
                    f"{label}: cached request",
                    cached_s,
                    "s",
                    "first build (cache empty)",
                    first_s,
                    f"cached at least {SPEED_GOAL:g}x faster",
                    first_s / cached_s >= SPEED_GOAL if cached_s > 0 else True,
                )
            )
    return rows
