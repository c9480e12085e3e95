"""The OpenAPI 3 description of ``/api/v1``, written out by hand from the schemas below.

Every answer the API gives is described here, errors included (RFC 9457 problem details), and
the test suite fuzzes the API against this document with schemathesis.
"""

from __future__ import annotations

from typing import Any

CODE_PATTERN = r"^[A-Za-z0-9]{1,12}$"
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,62}$"
MAX_LIMIT = 500
MAX_OFFSET = 100_000
GEOJSON = "application/geo+json"
PROBLEM = "application/problem+json"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _problem(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM: {"schema": _ref("Problem")}}}


def _json(description: str, schema: str, media: str = "application/json") -> dict[str, Any]:
    return {"description": description, "content": {media: {"schema": _ref(schema)}}}


NULLABLE_STRING = {"type": "string", "nullable": True}

SCHEMAS: dict[str, Any] = {
    "Problem": {
        "type": "object",
        "description": "An error, as RFC 9457 problem details.",
        "required": ["type", "title", "status"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
        },
    },
    "FigureValue": {
        "type": "object",
        "description": (
            "A figure as the caller may see it. For councillors and the public, counts of "
            "fewer than 10 and figures that would let one be worked out are hidden: value is "
            "null, suppressed is true and display says why."
        ),
        "required": ["value", "display", "suppressed"],
        "properties": {
            "value": {"type": "number", "nullable": True},
            "display": {"type": "string"},
            "suppressed": {"type": "boolean"},
        },
        "additionalProperties": False,
    },
    "Figures": {
        "type": "object",
        "description": "Figure key -> FigureValue.",
        "additionalProperties": _ref("FigureValue"),
    },
    "Geometry": {
        "type": "object",
        "description": "RFC 7946 geometry: WGS84 longitude/latitude, exterior rings anticlockwise.",
        "required": ["type", "coordinates"],
        "properties": {
            "type": {"type": "string", "enum": ["Point", "Polygon", "MultiPolygon"]},
            "coordinates": {"type": "array"},
        },
    },
    "AreaProperties": {
        "type": "object",
        "required": ["code", "name", "kind", "vintage", "ward_code", "figures"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["ward", "lsoa"]},
            "vintage": {"type": "string"},
            "ward_code": NULLABLE_STRING,
            "figures": _ref("Figures"),
        },
    },
    "AreaFeature": {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": _ref("Geometry"),
            "properties": _ref("AreaProperties"),
        },
    },
    "AreaCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": _ref("AreaFeature")},
        },
    },
    "FigureDefinition": {
        "type": "object",
        "required": [
            "key",
            "label",
            "unit",
            "section",
            "is_count",
            "higher_is_better",
            "source",
            "licence",
            "date",
            "borough",
        ],
        "properties": {
            "key": {"type": "string"},
            "label": {"type": "string"},
            "unit": {"type": "string", "enum": ["count", "share", "minutes", "index", "mbps"]},
            "section": {"type": "string"},
            "is_count": {"type": "boolean"},
            "higher_is_better": {"type": "boolean", "nullable": True},
            "source": {"type": "string"},
            "licence": {"type": "string"},
            "date": {"type": "string", "format": "date", "nullable": True},
            "borough": _ref("FigureValue"),
        },
    },
    "FigureList": {
        "type": "object",
        "required": ["figures"],
        "properties": {"figures": {"type": "array", "items": _ref("FigureDefinition")}},
    },
    "WardAggregate": {
        "type": "object",
        "required": ["code", "name", "vintage", "figures"],
        "properties": {
            "code": {"type": "string"},
            "name": {"type": "string"},
            "vintage": {"type": "string"},
            "figures": _ref("Figures"),
        },
    },
    "WardAggregates": {
        "type": "object",
        "required": ["detail", "threshold", "wards", "borough"],
        "properties": {
            "detail": {"type": "string", "enum": ["full", "suppressed"]},
            "threshold": {"type": "number"},
            "wards": {"type": "array", "items": _ref("WardAggregate")},
            "borough": _ref("Figures"),
        },
    },
    "Layer": {
        "type": "object",
        "required": [
            "key",
            "title",
            "kind",
            "area_kind",
            "legend_title",
            "source",
            "licence",
            "date",
            "geojson",
        ],
        "properties": {
            "key": {"type": "string"},
            "title": {"type": "string"},
            "kind": {"type": "string", "enum": ["choropleth", "circles", "cells", "raster"]},
            "area_kind": {"type": "string", "enum": ["ward", "lsoa", "cell", "grid"]},
            "legend_title": {"type": "string"},
            "unit": {"type": "string"},
            "source": {"type": "string"},
            "licence": {"type": "string"},
            "date": {"type": "string", "format": "date", "nullable": True},
            "geojson": {"type": "boolean"},
        },
    },
    "LayerList": {
        "type": "object",
        "required": ["layers"],
        "properties": {"layers": {"type": "array", "items": _ref("Layer")}},
    },
    "LayerFeature": {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": _ref("Geometry"),
            "properties": {
                "type": "object",
                "required": ["code", "value"],
                "properties": {
                    "code": {"type": "string"},
                    "name": NULLABLE_STRING,
                    "value": _ref("FigureValue"),
                    "premises": _ref("FigureValue"),
                },
            },
        },
    },
    "LayerCollection": {
        "type": "object",
        "required": ["type", "features", "layer"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "layer": _ref("Layer"),
            "features": {"type": "array", "items": _ref("LayerFeature")},
        },
    },
    "VenueFeature": {
        "type": "object",
        "required": ["type", "id", "geometry", "properties"],
        "properties": {
            "type": {"type": "string", "enum": ["Feature"]},
            "id": {"type": "string"},
            "geometry": _ref("Geometry"),
            "properties": {
                "type": "object",
                "required": ["name", "kind", "public_wifi", "ward_code"],
                "properties": {
                    "name": {"type": "string"},
                    "kind": {"type": "string"},
                    "public_wifi": {"type": "boolean"},
                    "address": NULLABLE_STRING,
                    "ward_code": NULLABLE_STRING,
                    "residents_within_15_min": {"type": "number", "nullable": True},
                },
            },
        },
    },
    "VenueCollection": {
        "type": "object",
        "required": ["type", "features"],
        "properties": {
            "type": {"type": "string", "enum": ["FeatureCollection"]},
            "features": {"type": "array", "items": _ref("VenueFeature")},
        },
    },
    "TrainingSession": {
        "type": "object",
        "required": [
            "id",
            "title",
            "topic",
            "level",
            "language",
            "starts_at",
            "ends_at",
            "places_left",
            "venue",
        ],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "topic": {"type": "string"},
            "level": {"type": "string"},
            "language": {"type": "string"},
            "starts_at": {"type": "string", "format": "date-time"},
            "ends_at": {"type": "string", "format": "date-time"},
            "places_left": {"type": "integer", "minimum": 0},
            "venue": {
                "type": "object",
                "required": ["name", "ward_code"],
                "properties": {
                    "name": {"type": "string"},
                    "address": NULLABLE_STRING,
                    "postcode": NULLABLE_STRING,
                    "ward_code": NULLABLE_STRING,
                },
            },
        },
    },
    "SessionList": {
        "type": "object",
        "required": ["sessions", "limit", "offset"],
        "properties": {
            "sessions": {"type": "array", "items": _ref("TrainingSession")},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
        },
    },
}

_CODE = {
    "name": "code",
    "in": "path",
    "required": True,
    "description": "ONS code of a ward or LSOA (for example E05013606).",
    "schema": {"type": "string", "pattern": CODE_PATTERN},
}
_KEY = {
    "name": "key",
    "in": "path",
    "required": True,
    "description": "Layer key, from /layers.",
    "schema": {"type": "string", "pattern": KEY_PATTERN},
}


def openapi_document(*, server_url: str = "/api/v1") -> dict[str, Any]:
    """The OpenAPI 3.0 document of the API."""
    not_found = _problem("Nothing with that code or key.")
    bad = _problem("A query parameter is not valid.")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Digital Inclusion Planner: ward figures",
            "version": "1.0.0",
            "description": (
                "Read-only figures on digital inclusion by ward and neighbourhood (LSOA), "
                "coverage layers, places to get help and training sessions. Geographic answers "
                "are GeoJSON (RFC 7946). Councillors and the public see small numbers "
                "suppressed; planners and administrators (signed in) see them in full. "
                "Contains ONS data (Open Government Licence v3.0) and OpenStreetMap data "
                "(Open Database Licence)."
            ),
            "license": {
                "name": "Open Government Licence v3.0",
                "url": "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/",
            },
        },
        "servers": [{"url": server_url}],
        "paths": {
            "/areas": {
                "get": {
                    "operationId": "listAreas",
                    "summary": "Wards or LSOAs with their figures",
                    "parameters": [
                        {
                            "name": "kind",
                            "in": "query",
                            "required": False,
                            "description": "ward (default) or lsoa.",
                            "schema": {"type": "string", "enum": ["ward", "lsoa"]},
                        }
                    ],
                    "responses": {
                        "200": _json("The areas.", "AreaCollection", GEOJSON),
                        "400": bad,
                    },
                }
            },
            "/areas/{code}": {
                "get": {
                    "operationId": "getArea",
                    "summary": "One ward or LSOA with its figures",
                    "parameters": [_CODE],
                    "responses": {
                        "200": _json("The area.", "AreaFeature", GEOJSON),
                        "400": bad,
                        "404": not_found,
                    },
                }
            },
            "/figures": {
                "get": {
                    "operationId": "listFigures",
                    "summary": "What each ward figure is, with the borough's value",
                    "responses": {"200": _json("The figures.", "FigureList")},
                }
            },
            "/wards/aggregates": {
                "get": {
                    "operationId": "wardAggregates",
                    "summary": "Every ward figure for every ward, and the borough",
                    "responses": {"200": _json("The aggregates.", "WardAggregates")},
                }
            },
            "/layers": {
                "get": {
                    "operationId": "listLayers",
                    "summary": "Map layers (choropleths, circles, coverage hexagons, signal)",
                    "responses": {"200": _json("The layers.", "LayerList")},
                }
            },
            "/layers/{key}": {
                "get": {
                    "operationId": "getLayer",
                    "summary": "One map layer's areas or hexagons with their figures",
                    "parameters": [_KEY],
                    "responses": {
                        "200": _json("The layer.", "LayerCollection", GEOJSON),
                        "400": bad,
                        "404": not_found,
                    },
                }
            },
            "/venues": {
                "get": {
                    "operationId": "listVenues",
                    "summary": "Places to get help or get online",
                    "parameters": [
                        {
                            "name": "ward",
                            "in": "query",
                            "required": False,
                            "description": "Only places in this ward (its code).",
                            "schema": {"type": "string", "pattern": CODE_PATTERN},
                        }
                    ],
                    "responses": {
                        "200": _json("The places.", "VenueCollection", GEOJSON),
                        "400": bad,
                    },
                }
            },
            "/sessions": {
                "get": {
                    "operationId": "listSessions",
                    "summary": "Digital skills sessions open for booking, soonest first",
                    "parameters": [
                        {
                            "name": "from",
                            "in": "query",
                            "required": False,
                            "description": "First day (Europe/London), YYYY-MM-DD.",
                            "schema": {"type": "string", "format": "date"},
                        },
                        {
                            "name": "limit",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "integer",
                                "minimum": 1,
                                "maximum": MAX_LIMIT,
                                "default": 100,
                            },
                        },
                        {
                            "name": "offset",
                            "in": "query",
                            "required": False,
                            "schema": {
                                "type": "integer",
                                "minimum": 0,
                                "maximum": MAX_OFFSET,
                                "default": 0,
                            },
                        },
                    ],
                    "responses": {
                        "200": _json("The sessions.", "SessionList"),
                        "400": bad,
                    },
                }
            },
        },
        "components": {"schemas": SCHEMAS},
    }
