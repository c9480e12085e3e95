"""The per-link RSRP kernel behind :mod:`geo.coverage.mobile` (internal).

For one site group (one band, technology and cell type) it returns, for blocks of
receiver-site links, RSRP = reference-signal EIRP per resource element − median path loss (dBm).

Speed comes from writing each model as a line in q = d² (+ offset):

    RSRP_ij = lead_j + coef_j · log10(q_ij)

* Okumura–Hata and COST-231: L = c_j + s_j log10(d_m) − a(h_m), so q = d², one ``log10`` per
  link, no square root.  The free-space floor is evaluated only on links closer than the
  distance where the model meets free space, found per site by bisection (model − free space
  increases with distance because every Hata slope exceeds free space's 20 dB per decade).
* TR 38.901 UMa/UMi in NLOS mode: the NLOS formula is linear in log10(d_3D²) with
  q = d² + (h_BS − h_UT)².  It equals max(LOS, NLOS) whenever the LOS line cannot exceed it over
  the distances in play; sites where that is not proven (and RMa, and the "los"/"weighted"
  conditions) are evaluated with the full formulas.
* Dense blocks get d² for all links in one small matrix product (in local coordinates, so
  rounding stays far below a millimetre).

The results equal :func:`geo.coverage.mobile.link_path_loss_db` to rounding (tested).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal, TypeVar

import numpy as np
import numpy.typing as npt

from geo.coverage._arrays import BoolArray, FloatArray, IntArray
from geo.coverage.config import MobileConfig
from geo.coverage.propagation import tr38901_path_loss_db

PathLossModel = Literal["hata", "cost231", "tr38901"]
_T = TypeVar("_T", bound=np.generic)

_BLOCK_LINKS = 65_536
"""Links per dense block: small enough for the working arrays to stay in cache."""

_MAX_HEIGHT_COMBOS = 8
"""Above this many distinct receiver heights in a block, use the full formulas per link."""


def path_loss_model_for(frequency_mhz: float, technology: str) -> PathLossModel:
    """Which propagation model a (band, technology) uses.

    5G NR, and anything above 2000 MHz, uses 3GPP TR 38.901; otherwise Okumura–Hata up to
    1500 MHz and COST-231 Hata for 1500–2000 MHz.
    """
    if technology == "5G" or frequency_mhz > 2000.0:
        return "tr38901"
    return "hata" if frequency_mhz <= 1500.0 else "cost231"


@dataclass(frozen=True)
class SiteGroup:
    """Sites sharing one band, technology and cell type (arrays of shape ``(m,)``)."""

    band_mhz: float
    technology: str
    cell_type: str
    x_m: FloatArray
    y_m: FloatArray
    height_m: FloatArray
    power_dbm: FloatArray

    @property
    def model(self) -> PathLossModel:
        return path_loss_model_for(self.band_mhz, self.technology)

    def scenario(self, code: int) -> Literal["uma", "umi", "rma"]:
        """TR 38.901 scenario for receiver class ``code`` (0 urban, 1 suburban, 2 rural)."""
        return "rma" if code == 2 else "umi" if self.cell_type == "small" else "uma"


@dataclass(frozen=True)
class _Linear:
    """RSRP = lead + coef · log10(d² + offset) per site, with the exceptions to patch."""

    lead: FloatArray
    coef: FloatArray
    offset: FloatArray | None
    floor_q: FloatArray | None
    exact: BoolArray | None

    @property
    def uniform_coef(self) -> bool:
        """One slope for every site and no exceptions: the best server needs no per-link log."""
        return (
            self.floor_q is None
            and self.exact is None
            and self.coef.size > 0
            and bool(np.all(self.coef == self.coef[0]))
            and float(self.coef[0]) < 0.0
        )


# --------------------------------------------------------------------------------------------
# Linear forms
# --------------------------------------------------------------------------------------------


def _a_hm(frequency_mhz: float, mobile_height_m: float, large_city: bool) -> float:
    log_f = math.log10(frequency_mhz)
    if large_city:
        if frequency_mhz <= 200.0:
            return 8.29 * math.log10(1.54 * mobile_height_m) ** 2 - 1.1
        return 3.2 * math.log10(11.75 * mobile_height_m) ** 2 - 4.97
    return (1.1 * log_f - 0.7) * mobile_height_m - (1.56 * log_f - 0.8)


def _hata_linear(group: SiteGroup, code: int, hut: float, cfg: MobileConfig) -> _Linear:
    f = group.band_mhz
    log_f = math.log10(f)
    log_hb = np.log10(group.height_m)
    slope = 44.9 - 6.55 * log_hb
    if group.model == "hata":
        base = 69.55 + 26.16 * log_f
        large_city = code == 0 and cfg.hata_urban == "large_city"
    else:
        metro = code == 0 and cfg.cost231_urban == "metropolitan"
        base = 46.3 + 33.9 * log_f + (3.0 if metro else 0.0)
        large_city = False
    if code == 1:
        base -= 2.0 * math.log10(f / 28.0) ** 2 + 5.4
    elif code == 2:
        base -= 4.78 * log_f**2 - 18.33 * log_f + 40.94
    # L = const + slope·log10(d_km) with log10(d_km) = ½·log10(d_m²) − 3.
    const = base - 13.82 * log_hb - 3.0 * slope - _a_hm(f, hut, large_city)
    floor_q = None
    if cfg.free_space_floor:
        crossing = _free_space_crossing_m(const, slope, np.abs(group.height_m - hut), f)
        floor_q = crossing * crossing
    return _Linear(group.power_dbm - const, -0.5 * slope, None, floor_q, None)


def _free_space_crossing_m(
    const: FloatArray, slope: FloatArray, dh_m: FloatArray, frequency_mhz: float
) -> FloatArray:
    """Per site, a distance beyond which const + slope·log10(d) stays above free space.

    Bisects g(d) = const + slope·log10(d) − FSPL(√(d² + dh²)) in log10(d) over 1 mm – 10,000 km;
    g increases with d since slope > 20 dB/decade.  Returns the upper end of the bracket, so
    every link at or beyond it is above free space.
    """
    fspl_const = 32.44 - 60.0 + 20.0 * math.log10(frequency_mhz)

    def g(log_d: FloatArray) -> FloatArray:
        d2 = 10.0 ** (2.0 * log_d)
        return np.asarray(
            const + slope * log_d - fspl_const - 10.0 * np.log10(d2 + dh_m * dh_m),
            dtype=np.float64,
        )

    low = np.full(const.shape, -3.0)
    high = np.full(const.shape, 7.0)
    for _ in range(48):
        mid = 0.5 * (low + high)
        below = g(mid) < 0.0
        low = np.where(below, mid, low)
        high = np.where(below, high, mid)
    crossing = np.where(g(np.full(const.shape, -3.0)) >= 0.0, 0.0, 10.0**high)
    return np.asarray(np.where(g(np.full(const.shape, 7.0)) < 0.0, np.inf, crossing))


def _nlos_linear(group: SiteGroup, code: int, hut: float, d_max_m: float) -> _Linear:
    fc = group.band_mhz / 1000.0
    log_fc = math.log10(fc)
    hbs = group.height_m
    dh = hbs - hut
    dbp = 4.0 * (hbs - 1.0) * (hut - 1.0) * fc * 1e9 / 3.0e8
    log_pl2 = np.log10(dbp * dbp + dh * dh)
    log_d3_min = 0.5 * np.log10(np.maximum(dh * dh, 1e-12))
    log_d3_max = 0.5 * math.log10(d_max_m * d_max_m + float(np.max(dh * dh)))
    if group.scenario(code) == "uma":
        nlos_const = 13.54 + 20.0 * log_fc - 0.6 * (hut - 1.5)
        nlos_slope = 39.08
        # NLOS − PL1 rises with distance; NLOS − PL2 falls: check each at its worst end.
        above_pl1 = nlos_const - (28.0 + 20.0 * log_fc) + (nlos_slope - 22.0) * log_d3_min >= 0.0
        above_pl2 = (
            nlos_const - (28.0 + 20.0 * log_fc) + (nlos_slope - 40.0) * log_d3_max + 9.0 * log_pl2
            >= 0.0
        )
    else:
        nlos_const = 22.4 + 21.3 * log_fc - 0.3 * (hut - 1.5)
        nlos_slope = 35.3
        above_pl1 = nlos_const - (32.4 + 20.0 * log_fc) + (nlos_slope - 21.0) * log_d3_min >= 0.0
        above_pl2 = (
            nlos_const - (32.4 + 20.0 * log_fc) + (nlos_slope - 40.0) * log_d3_max + 9.5 * log_pl2
            >= 0.0
        )
    exact = ~(above_pl1 & above_pl2)
    return _Linear(
        group.power_dbm - nlos_const,
        np.full(hbs.shape, -0.5 * nlos_slope),
        dh * dh,
        None,
        exact if exact.any() else None,
    )


def _linear_form(
    group: SiteGroup, code: int, hut: float, cfg: MobileConfig, d_max_m: float
) -> _Linear:
    if group.model != "tr38901":
        return _hata_linear(group, code, hut, cfg)
    if cfg.condition == "nlos" and group.scenario(code) in ("uma", "umi"):
        return _nlos_linear(group, code, hut, d_max_m)
    everything = np.ones(group.height_m.shape, dtype=bool)
    zeros = np.zeros(group.height_m.shape)
    return _Linear(zeros, zeros, None, None, everything)


def _exact_rsrp(
    group: SiteGroup,
    code: int,
    distance_m: FloatArray,
    site_index: IntArray,
    ut_height_m: FloatArray | float,
    cfg: MobileConfig,
) -> FloatArray:
    """RSRP from the full formulas (3GPP TR 38.901 only: Hata's linear form is exact)."""
    loss = tr38901_path_loss_db(
        group.scenario(code),
        distance_m,
        group.band_mhz / 1000.0,
        group.height_m[site_index],
        ut_height_m,
        condition=cfg.condition,
        out_of_range="extrapolate",
    )
    return np.asarray(group.power_dbm[site_index] - loss, dtype=np.float64)


def _free_space_patch(
    group: SiteGroup,
    rsrp: FloatArray,
    rows: IntArray,
    cols: IntArray,
    sites: IntArray,
    d_squared: FloatArray,
    hut: float,
) -> None:
    dh = group.height_m[sites] - hut
    fspl = 32.44 + 10.0 * np.log10((d_squared + dh * dh) / 1e6) + 20.0 * math.log10(group.band_mhz)
    rsrp[rows, cols] = np.minimum(rsrp[rows, cols], group.power_dbm[sites] - fspl)


# --------------------------------------------------------------------------------------------
# Kernels
# --------------------------------------------------------------------------------------------


def _combos(
    env_codes: npt.NDArray[np.int8], ut_height_m: FloatArray
) -> list[tuple[int, float, npt.NDArray[np.bool_] | slice]] | None:
    """(class, height, rows) blocks of receivers sharing a linear form; None if too many."""
    heights = np.unique(ut_height_m)
    if heights.size > _MAX_HEIGHT_COMBOS:
        return None
    codes = [int(c) for c in np.flatnonzero(np.bincount(env_codes, minlength=3))]
    if len(codes) == 1 and heights.size == 1:
        return [(codes[0], float(heights[0]), slice(None))]
    blocks: list[tuple[int, float, npt.NDArray[np.bool_] | slice]] = []
    for code in codes:
        for height in heights:
            rows = (env_codes == code) & (ut_height_m == height)
            if rows.any():
                blocks.append((code, float(height), rows))
    return blocks


def _near_links(
    q: FloatArray, site_index: IntArray | None, lin: _Linear, column_min: FloatArray | None
) -> tuple[IntArray, IntArray, FloatArray] | None:
    """Links closer than their site's free-space crossing: (rows, cols, d²), or None."""
    if lin.floor_q is None:
        return None
    if site_index is not None or column_min is None:
        threshold = lin.floor_q[site_index] if site_index is not None else lin.floor_q[None, :]
        mask = q < threshold
        if not mask.any():
            return None
        rows, cols = np.nonzero(mask)
        return rows, cols, q[rows, cols].copy()
    # Dense block: the column minima (already computed) say which few sites to look at.
    columns = np.flatnonzero(column_min < lin.floor_q)
    if columns.size == 0:
        return None
    hits = [np.flatnonzero(q[:, c] < lin.floor_q[c]) for c in columns.tolist()]
    rows = np.concatenate(hits)
    cols = np.repeat(columns, [h.size for h in hits])
    return rows, cols, q[rows, cols].copy()


def _apply_linear(
    group: SiteGroup,
    code: int,
    hut: float,
    q: FloatArray,
    site_index: IntArray | None,
    cfg: MobileConfig,
    lin: _Linear,
    column_min: FloatArray | None = None,
) -> FloatArray:
    """Turn ``q`` (d², floored; overwritten) into RSRP for one (class, height) block.

    ``site_index`` None means dense columns (column j is site j); otherwise gathered links.
    """

    def per_site(values: npt.NDArray[_T]) -> npt.NDArray[_T]:
        # Gathered links index their sites; dense columns broadcast one value per column.
        return values[site_index] if site_index is not None else values[None, :]

    def sites_of(rows: IntArray, cols: IntArray) -> IntArray:
        return site_index[rows, cols] if site_index is not None else cols

    if lin.exact is not None and lin.exact.all():
        index = (
            site_index
            if site_index is not None
            else np.broadcast_to(np.arange(q.shape[1]), q.shape)
        )
        return _exact_rsrp(group, code, np.sqrt(q), index, hut, cfg)
    near = _near_links(q, site_index, lin, column_min)
    exact_links = None
    if lin.exact is not None:
        rows, cols = np.nonzero(np.broadcast_to(per_site(lin.exact), q.shape))
        exact_links = (rows, cols, np.sqrt(q[rows, cols]))
    if lin.offset is not None:
        q += per_site(lin.offset)
    np.log10(q, out=q)
    q *= per_site(lin.coef)
    q += per_site(lin.lead)
    if near is not None:
        rows, cols, d_squared = near
        _free_space_patch(group, q, rows, cols, sites_of(rows, cols), d_squared, hut)
    if exact_links is not None and exact_links[0].size:
        rows, cols, distance = exact_links
        q[rows, cols] = _exact_rsrp(group, code, distance, sites_of(rows, cols), hut, cfg)
    return q


def _per_link_rsrp(
    group: SiteGroup,
    distance_m: FloatArray,
    site_index: IntArray,
    env_codes: npt.NDArray[np.int8],
    ut_height_m: FloatArray,
    cfg: MobileConfig,
) -> FloatArray:
    """Fallback with the full formulas per link (many distinct receiver heights)."""
    from geo.coverage.mobile import link_path_loss_db  # local: mobile imports this module

    loss = link_path_loss_db(
        distance_m,
        group.band_mhz,
        group.height_m[site_index],
        ut_height_m[:, None],
        env_codes[:, None],
        technology=group.technology,
        cell_type=group.cell_type,
        config=cfg,
    )
    return np.asarray(group.power_dbm[site_index] - loss, dtype=np.float64)


def gathered_rsrp_dbm(
    group: SiteGroup,
    distance_m: FloatArray,
    site_index: IntArray,
    env_codes: npt.NDArray[np.int8],
    ut_height_m: FloatArray,
    cfg: MobileConfig,
) -> FloatArray:
    """RSRP (dBm) of the links ``(receiver i, site site_index[i, j])`` at ``distance_m[i, j]``.

    ``distance_m`` and ``site_index`` are ``(n, k)`` (distances already floored at
    ``cfg.min_distance_m``); ``env_codes`` and ``ut_height_m`` are per receiver.
    """
    combos = _combos(env_codes, ut_height_m)
    if combos is None:
        return _per_link_rsrp(group, distance_m, site_index, env_codes, ut_height_m, cfg)
    d_max = float(distance_m.max()) if distance_m.size else 1.0
    out = distance_m * distance_m
    for code, hut, rows in combos:
        lin = _linear_form(group, code, hut, cfg, d_max)
        if isinstance(rows, slice):
            out = _apply_linear(group, code, hut, out, site_index, cfg, lin)
        else:
            out[rows] = _apply_linear(group, code, hut, out[rows], site_index[rows], cfg, lin)
    return out


@dataclass(frozen=True)
class _DenseSetup:
    site_terms: FloatArray
    rx: FloatArray
    ry: FloatArray
    d_max: float
    cut: bool
    block: int


def _dense_setup(
    group: SiteGroup, x_m: FloatArray, y_m: FloatArray, max_distance_m: float
) -> _DenseSetup:
    m = group.x_m.shape[0]
    origin_x, origin_y = float(group.x_m.mean()), float(group.y_m.mean())
    sx, sy = group.x_m - origin_x, group.y_m - origin_y
    site_terms = np.vstack([-2.0 * sx, -2.0 * sy, sx * sx + sy * sy, np.ones(m)])
    rx, ry = x_m - origin_x, y_m - origin_y
    # Longest link in play, from bounding boxes, bounds the NLOS-dominance check.
    far_x = max(abs(float(rx.max()) - float(sx.min())), abs(float(sx.max()) - float(rx.min())))
    far_y = max(abs(float(ry.max()) - float(sy.min())), abs(float(sy.max()) - float(ry.min())))
    longest = math.hypot(far_x, far_y)
    cut = math.isfinite(max_distance_m) and longest > max_distance_m
    return _DenseSetup(
        site_terms, rx, ry, min(longest, max_distance_m), cut, max(1, _BLOCK_LINKS // m)
    )


def _dense_q(
    setup: _DenseSetup, start: int, stop: int, min_q: float
) -> tuple[FloatArray, FloatArray]:
    """d² of one block of links (floored at ``min_q``) and its column minima."""
    bx, by = setup.rx[start:stop], setup.ry[start:stop]
    receiver_terms = np.column_stack([bx, by, np.ones(stop - start), bx * bx + by * by])
    q = receiver_terms @ setup.site_terms
    # Clamp only when needed (a receiver within min_distance_m of a site, or rounding below
    # zero): the column minima are needed anyway and cost less than rewriting the block.
    column_min = q.min(axis=0)
    if column_min.min() < min_q:
        np.maximum(q, min_q, out=q)
        np.maximum(column_min, min_q, out=column_min)
    return q, column_min


def dense_blocks(
    group: SiteGroup,
    x_m: FloatArray,
    y_m: FloatArray,
    env_codes: npt.NDArray[np.int8],
    ut_height_m: FloatArray,
    cfg: MobileConfig,
    *,
    max_distance_m: float = math.inf,
) -> Iterator[tuple[int, int, FloatArray]]:
    """Yield ``(start, stop, rsrp)`` blocks of the dense ``(n, m)`` RSRP matrix (dBm).

    Each block covers receivers ``start:stop`` and every site of the group, about 65,536 links:
    d² by one small matrix product, then the linear form in place.  Links longer than
    ``max_distance_m`` get −inf.  Blocks are working buffers: copy what you keep.
    """
    n, m = x_m.shape[0], group.x_m.shape[0]
    if n == 0 or m == 0:
        return
    setup = _dense_setup(group, x_m, y_m, max_distance_m)
    min_q = cfg.min_distance_m**2
    whole = _combos(env_codes, ut_height_m)
    forms: dict[tuple[int, float], _Linear] = {}

    def form(code: int, hut: float) -> _Linear:
        if (code, hut) not in forms:
            forms[(code, hut)] = _linear_form(group, code, hut, cfg, setup.d_max)
        return forms[(code, hut)]

    for start in range(0, n, setup.block):
        stop = min(n, start + setup.block)
        q, column_min = _dense_q(setup, start, stop, min_q)
        far = q > max_distance_m**2 if setup.cut else None
        codes, heights = env_codes[start:stop], ut_height_m[start:stop]
        # One class and one height everywhere (the usual case): no per-block grouping.
        combos = whole if whole is not None and len(whole) == 1 else _combos(codes, heights)
        if combos is None:
            index = np.broadcast_to(np.arange(m), q.shape)
            q = _per_link_rsrp(group, np.sqrt(q), index, codes, heights, cfg)
        else:
            for code, hut, rows in combos:
                lin = form(code, hut)
                if isinstance(rows, slice):
                    q = _apply_linear(group, code, hut, q, None, cfg, lin, column_min)
                else:
                    q[rows] = _apply_linear(group, code, hut, q[rows], None, cfg, lin)
        if far is not None:
            q[far] = -np.inf
        yield start, stop, q


def dense_best(
    group: SiteGroup,
    x_m: FloatArray,
    y_m: FloatArray,
    env_codes: npt.NDArray[np.int8],
    ut_height_m: FloatArray,
    cfg: MobileConfig,
    *,
    max_distance_m: float = math.inf,
) -> Iterator[tuple[int, int, FloatArray, IntArray]]:
    """Yield ``(start, stop, best_rsrp, best_site)`` per block of receivers (best server only).

    Where every site shares one slope (TR 38.901 NLOS, or Hata with equal masts) the best server
    is the site minimising q·10^(lead/coef), so only the winning link needs a logarithm;
    otherwise the block's RSRP comes from :func:`dense_blocks` and the maximum is taken.
    """
    n, m = x_m.shape[0], group.x_m.shape[0]
    if n == 0 or m == 0:
        return
    whole = _combos(env_codes, ut_height_m)
    if whole is None or len(whole) != 1:
        for start, stop, block in dense_blocks(
            group, x_m, y_m, env_codes, ut_height_m, cfg, max_distance_m=max_distance_m
        ):
            j = np.argmax(block, axis=1)
            yield start, stop, block[np.arange(stop - start), j], j
        return
    code, hut, _ = whole[0]
    setup = _dense_setup(group, x_m, y_m, max_distance_m)
    lin = _linear_form(group, code, hut, cfg, setup.d_max)
    if not lin.uniform_coef:
        for start, stop, block in dense_blocks(
            group, x_m, y_m, env_codes, ut_height_m, cfg, max_distance_m=max_distance_m
        ):
            j = np.argmax(block, axis=1)
            yield start, stop, block[np.arange(stop - start), j], j
        return
    coef = float(lin.coef[0])
    # lead + coef·log10(q) = coef·log10(q·w) with w = 10^(lead/coef); coef < 0, so the best
    # server has the smallest q·w.
    weight = 10.0 ** (lin.lead / coef)
    min_q = cfg.min_distance_m**2
    for start in range(0, n, setup.block):
        stop = min(n, start + setup.block)
        q, _ = _dense_q(setup, start, stop, min_q)
        far = q > max_distance_m**2 if setup.cut else None
        if lin.offset is not None:
            q += lin.offset[None, :]
        q *= weight[None, :]
        if far is not None:
            q[far] = np.inf
        j = np.argmin(q, axis=1)
        yield start, stop, coef * np.log10(q[np.arange(stop - start), j]), j


def dense_rsrp_dbm(
    group: SiteGroup,
    x_m: FloatArray,
    y_m: FloatArray,
    env_codes: npt.NDArray[np.int8],
    ut_height_m: FloatArray,
    cfg: MobileConfig,
    *,
    max_distance_m: float = math.inf,
) -> FloatArray:
    """RSRP (dBm) of every receiver from every site of the group, ``(n, m)``."""
    out = np.empty((x_m.shape[0], group.x_m.shape[0]), dtype=np.float64)
    for start, stop, block in dense_blocks(
        group, x_m, y_m, env_codes, ut_height_m, cfg, max_distance_m=max_distance_m
    ):
        out[start:stop] = block
    return out
