"""The polar map geometry shared by the media build and the kiosk's live route map."""

from __future__ import annotations

import math

import numpy as np
import pytest

from kiosk.content import geo

TIKSI = (71.64, 128.87)
YAKUTSK = (62.03, 129.73)
ANADYR = (64.73, 177.51)
MURMANSK = (68.97, 33.08)
CAPE_DEZHNEV = (66.08, -169.65)


def test_pole_is_the_centre() -> None:
    for lon0 in (0.0, geo.DEFAULT_LON0, -120.0):
        x, y = geo.project(90.0, 37.0, lon0)
        assert abs(x) < 1e-12 and abs(y) < 1e-12


def test_equator_is_the_unit_circle() -> None:
    for lon in (-150.0, 0.0, 60.0):
        assert math.hypot(*geo.project(0.0, lon)) == pytest.approx(1.0)


def test_central_meridian_points_down() -> None:
    x, y = geo.project(60.0, geo.DEFAULT_LON0)
    assert x == pytest.approx(0.0, abs=1e-12)
    assert y > 0  # below the pole on the screen


def test_cities_land_in_plausible_relative_positions() -> None:
    tiksi, yakutsk = geo.project(*TIKSI), geo.project(*YAKUTSK)
    assert yakutsk[1] > tiksi[1]  # Yakutsk is south of Tiksi: lower on the screen
    # Nearly on the same meridian: the offset is mostly vertical.
    assert abs(yakutsk[0] - tiksi[0]) < 0.5 * (yakutsk[1] - tiksi[1])
    murmansk, anadyr = geo.project(*MURMANSK), geo.project(*ANADYR)
    assert murmansk[0] < tiksi[0] < anadyr[0]  # west to east, left to right
    # Further south means further from the pole.
    assert math.hypot(*yakutsk) > math.hypot(*tiksi)


def test_unproject_inverts_project() -> None:
    for lat, lon in (TIKSI, CAPE_DEZHNEV, (55.75, 37.62), (89.9, -78.0)):
        back = geo.unproject(*geo.project(lat, lon))
        assert back[0] == pytest.approx(lat, abs=1e-9)
        assert (back[1] - lon + 180) % 360 - 180 == pytest.approx(0.0, abs=1e-7)


def test_fit_bounds_keeps_points_inside_the_rectangle() -> None:
    pts = geo.project_many(
        [p[0] for p in (TIKSI, YAKUTSK, ANADYR)], [p[1] for p in (TIKSI, YAKUTSK, ANADYR)]
    )
    rect = (100.0, 50.0, 800.0, 400.0)
    fit = geo.fit_bounds(pts, rect, margin=0.1)
    px = fit.apply(pts)
    assert np.all(px[:, 0] >= 100 + 80 - 1e-6) and np.all(px[:, 0] <= 900 - 80 + 1e-6)
    assert np.all(px[:, 1] >= 50 + 40 - 1e-6) and np.all(px[:, 1] <= 450 - 40 + 1e-6)
    # Centred: the bounding box's middle is the rectangle's middle.
    mid = (px.min(axis=0) + px.max(axis=0)) / 2
    assert mid == pytest.approx([500.0, 250.0])
    assert fit.invert(*fit.apply(pts[:1])[0]) == pytest.approx(tuple(pts[0]))


def test_fit_bounds_min_span_limits_the_zoom() -> None:
    one = geo.project_many([TIKSI[0]], [TIKSI[1]])
    fit = geo.fit_bounds(one, (0.0, 0.0, 1000.0, 500.0), margin=0.0, min_span=0.1)
    assert fit.scale == pytest.approx(5000.0)
    assert fit.apply(one)[0] == pytest.approx([500.0, 250.0])


def test_distance_and_great_circle() -> None:
    assert geo.distance_km(YAKUTSK, TIKSI) == pytest.approx(1070, rel=0.02)
    mid = geo.interpolate(YAKUTSK, TIKSI, 0.5)
    assert geo.distance_km(YAKUTSK, mid) == pytest.approx(geo.distance_km(mid, TIKSI), rel=1e-6)
    # Across the 180° meridian both modes take the short way.
    for mode in ("great_circle", "linear"):
        p = geo.interpolate(ANADYR, CAPE_DEZHNEV, 0.5, mode)  # type: ignore[arg-type]
        assert abs(p[1]) > 170


def test_route_reaches_each_point_at_its_time() -> None:
    points = [YAKUTSK, TIKSI, ANADYR, CAPE_DEZHNEV]
    times = [3.5, 8.0, 12.5, 17.0]
    for mode in ("great_circle", "linear"):
        route = geo.Route(points, times, mode=mode)  # type: ignore[arg-type]
        for p, t in zip(points, times, strict=True):
            assert route.at_time(t) == pytest.approx(p, abs=1e-9)
        assert route.at_time(0.0) == points[0]  # before the start: waiting at the start
        assert route.at_time(99.0) == points[-1]
        assert route.reached(8.0) == 2 and route.reached(7.99) == 1
        assert route.fraction_at_time(3.5) == 0.0 and route.fraction_at_time(17.0) == 1.0


def test_route_fraction_moves_at_constant_speed() -> None:
    route = geo.Route([YAKUTSK, TIKSI, ANADYR])
    assert route.at_fraction(0.0) == YAKUTSK and route.at_fraction(1.0) == ANADYR
    first_leg = geo.distance_km(YAKUTSK, TIKSI)
    at = route.at_fraction(first_leg / route.length_km)
    assert at == pytest.approx(TIKSI, abs=1e-6)
    halves = route.at_fraction(0.5)
    assert geo.distance_km(halves, ANADYR) == pytest.approx(route.length_km / 2, rel=0.01)


def test_path_at_time_ends_at_the_current_position() -> None:
    route = geo.Route([YAKUTSK, TIKSI, ANADYR], [0.0, 5.0, 10.0])
    path = route.path_at_time(7.5, step_km=50)
    assert tuple(path[0]) == pytest.approx(YAKUTSK)
    assert tuple(path[-1]) == pytest.approx(route.at_time(7.5))
    assert any(np.allclose(p, TIKSI) for p in path)  # passes through the reached point
    assert len(path) > 10  # densified along the great circle


def test_fill_times() -> None:
    assert geo.fill_times([None, None, None], 3.0, 18.0) == [3.0, 10.5, 18.0]
    assert geo.fill_times([4.0, None, 8.0], 3.0, 18.0) == [4.0, 6.0, 8.0]
    filled = geo.fill_times([None, 6.0, None], 3.0, 18.0)
    assert filled == [3.0, 6.0, 18.0]
    assert geo.fill_times([], 0.0, 1.0) == []


def test_route_rejects_decreasing_times() -> None:
    with pytest.raises(ValueError):
        geo.Route([YAKUTSK, TIKSI], [5.0, 1.0])


def test_coastline_loads_and_is_non_trivial() -> None:
    coast = geo.load_coastline()
    assert len(coast.land) > 500
    assert coast.point_count > 20_000
    assert coast.cut_lat <= 50.0
    lats = np.concatenate([r[:, 0] for r in coast.land])
    lons = np.concatenate([r[:, 1] for r in coast.land])
    assert lats.min() >= coast.cut_lat - 1e-9 and lats.max() > 83  # Greenland's north coast
    assert lons.min() >= -180 and lons.max() <= 180
    # The shore outlines leave out the artificial edges along the cut parallel.
    for line in coast.outlines:
        low = (line[:-1, 0] <= coast.cut_lat) & (line[1:, 0] <= coast.cut_lat)
        assert not low.any()

    # Novaya Zemlya and Wrangel Island are there.
    def has_land_near(lat: float, lon: float) -> bool:
        return bool(np.any((np.abs(lats - lat) < 0.5) & (np.abs(lons - lon) < 1.5)))

    assert has_land_near(74.5, 56.0)
    assert has_land_near(71.2, -179.5)


def test_coastline_file_is_small() -> None:
    assert geo.COASTLINE_PATH.stat().st_size < 400 * 1024
