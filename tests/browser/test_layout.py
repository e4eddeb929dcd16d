"""The exhibition layout of the front end (frontend/src/layout.js, run in Node): every artwork hung once
in order, nothing overlapping or outside its wall, true aspect ratios, viewpoints and walks never inside
a wall."""
from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).parent
NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="Node.js is not installed")


def plan_for(data: dict) -> dict:
    done = subprocess.run([NODE, str(HERE / "dump_layout.mjs")], input=json.dumps(data), capture_output=True,
                          text=True, timeout=60, check=True)
    return json.loads(done.stdout)


def synthetic(count: int, per_room: int, seed: int, order: str = "manifest") -> dict:
    rng = random.Random(seed)
    artworks = []
    for i in range(count):
        art = {"id": f"art-{i}", "title": f"Work {i}", "width": rng.randint(150, 2400), "height": rng.randint(150, 2400)}
        if rng.random() < 0.4:
            art["size_cm"] = [rng.uniform(15, 500), rng.uniform(15, 400)]
        artworks.append(art)
    ids = [a["id"] for a in artworks]
    rng.shuffle(ids)  # a mood order differs from the manifest order
    return {"artworks": artworks, "layout": {"per_room": per_room, "order": order,
                                             "rooms": [ids[i:i + per_room] for i in range(0, count, per_room)]}}


def inside_wall(plan: dict, x: float, z: float, margin: float) -> bool:
    return any(b["min"][0] - margin < x < b["max"][0] + margin and b["min"][1] - margin < z < b["max"][1] + margin
               for b in plan["walls"] if b["kind"] != "lintel")


@pytest.mark.parametrize("count,per_room,seed", [(1, 6, 1), (4, 2, 2), (8, 4, 3), (13, 6, 4), (40, 12, 5), (24, 24, 6)])
def test_layout_hangs_every_work_in_order_without_overlaps(count, per_room, seed):
    data = synthetic(count, per_room, seed)
    plan = plan_for(data)
    dims = plan["dims"]
    assert [p["id"] for p in plan["paintings"]] == [i for room in data["layout"]["rooms"] for i in room]
    assert len(plan["rooms"]) == len(data["layout"]["rooms"])
    by_id = {a["id"]: a for a in data["artworks"]}
    spans: dict[tuple, list] = {}
    for p in plan["paintings"]:
        art, (w, h) = by_id[p["id"]], (p["size"]["w"], p["size"]["h"])
        assert w / h == pytest.approx(art["width"] / art["height"], rel=1e-9)
        if "size_cm" in art and w < 3.99 and h < 2.29:  # not shrunk to fit the wall: true size
            assert w * h == pytest.approx(art["size_cm"][0] * art["size_cm"][1] / 1e4, rel=1e-6)
        assert p["centreY"] - h / 2 >= dims["minBottom"] - 1e-9
        assert p["centreY"] + h / 2 + dims["frame"] <= dims["wallHeight"] - 0.3
        room = plan["rooms"][p["room"]]
        # Position along its wall, from the canvas' far edge to the plaque's far edge.
        axis = 0 if p["normal"][0] == 0 else 1
        direction = [p["normal"][1], -p["normal"][0]][axis]  # the viewer's right, along this wall
        start = p["centre"][axis] - direction * (w / 2 + dims["frame"])
        end = p["plaque"][axis] + direction * dims["plaqueWidth"] / 2
        lo, hi = sorted((start, end))
        limits = (room["x0"], room["x1"]) if axis == 0 else (room["z0"], room["z1"])
        assert limits[0] - 1e-9 <= lo and hi <= limits[1] + 1e-9, p["id"]
        if "-" in p["wall"]:  # a wall with a doorway in the middle
            mid = (limits[0] + limits[1]) / 2
            assert hi <= mid - dims["doorWidth"] / 2 + 1e-9 or lo >= mid + dims["doorWidth"] / 2 - 1e-9, p["id"]
        spans.setdefault((p["room"], p["wall"]), []).append((lo, hi))
        # Its viewpoint faces it from inside the room, clear of every wall.
        v = p["view"]
        assert room["x0"] < v["x"] < room["x1"] and room["z0"] < v["z"] < room["z1"]
        assert not inside_wall(plan, v["x"], v["z"], dims["playerRadius"] - 1e-6)
    for key, intervals in spans.items():
        intervals.sort()
        for (a_lo, a_hi), (b_lo, b_hi) in zip(intervals, intervals[1:]):
            assert a_hi + dims["minGap"] - 1e-9 <= b_lo, f"overlap on {key}"


def test_walking_never_enters_a_wall_and_doorways_connect_rooms():
    plan = plan_for(synthetic(18, 6, 9))
    radius = plan["dims"]["playerRadius"]
    for walk in plan["walks"]:
        for x, z in walk:
            assert not inside_wall(plan, x, z, radius - 1e-6)
    # Doorways: a gap as wide as a door in the wall between two rooms, walls on either side of it.
    for door in plan["doors"]:
        assert not inside_wall(plan, door["x"], door["z"], radius)
        beside = plan["dims"]["doorWidth"] / 2 + 0.01
        inset = plan["dims"]["wall"] / 4  # into one room's half of the shared wall
        x, z = (door["x"] + inset, door["z"] + beside) if door["axis"] == "x" else (door["x"] + beside, door["z"] + inset)
        assert inside_wall(plan, x, z, 0)


def overlap(a: dict, b: dict) -> bool:
    return a["x0"] < b["x1"] and b["x0"] < a["x1"] and a["z0"] < b["z1"] and b["z0"] < a["z1"]


@pytest.mark.parametrize("order", ["manifest", "mood"])
def test_a_big_show_is_a_2d_plan_whose_rooms_all_connect(order):
    plan = plan_for(synthetic(60, 4, 11, order))
    rooms, dims = plan["rooms"], plan["dims"]
    assert len(rooms) == 15
    b = plan["bounds"]
    width, depth = b["x1"] - b["x0"], b["z1"] - b["z0"]
    assert max(width, depth) / min(width, depth) < 3, (width, depth)  # not a long corridor
    for i, a in enumerate(rooms):
        for other in rooms[i + 1:]:
            assert not overlap(a, other)
    # Proportions vary: not every room the same size.
    assert len({(round(r["x1"] - r["x0"], 2), round(r["z1"] - r["z0"], 2)) for r in rooms}) > 2
    # Every room is reached from the first through doorways; each doorway lies in the wall the two rooms share.
    graph: dict[int, set] = {i: set() for i in range(len(rooms))}
    for door in plan["doors"]:
        a, c = (rooms[i] for i in door["between"])
        graph[a["index"]].add(c["index"])
        graph[c["index"]].add(a["index"])
        for r in (a, c):
            h = dims["wall"] / 2 + 1e-6
            assert r["x0"] - h <= door["x"] <= r["x1"] + h and r["z0"] - h <= door["z"] <= r["z1"] + h
    seen, todo = {0}, [0]
    while todo:
        for n in graph[todo.pop()] - seen:
            seen.add(n)
            todo.append(n)
    assert seen == set(range(len(rooms)))
    # The walk from the first room to the last goes through doorways, never through a wall.
    pts = plan["across"]
    assert len(pts) > 2
    for (x0, z0), (x1, z1) in zip(pts, pts[1:]):
        for k in range(21):
            x, z = x0 + (x1 - x0) * k / 20, z0 + (z1 - z0) * k / 20
            assert not inside_wall(plan, x, z, dims["playerRadius"] - 1e-6), (x, z)
    last = rooms[-1]
    assert last["x0"] < pts[-1][0] < last["x1"] and last["z0"] < pts[-1][1] < last["z1"]
