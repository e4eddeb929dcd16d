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


def synthetic(count: int, per_room: int, seed: int) -> dict:
    rng = random.Random(seed)
    artworks = []
    for i in range(count):
        art = {"id": f"art-{i}", "title": f"Work {i}", "width": rng.randint(150, 2400), "height": rng.randint(150, 2400)}
        if rng.random() < 0.4:
            art["size_cm"] = [rng.uniform(15, 500), rng.uniform(15, 400)]
        artworks.append(art)
    ids = [a["id"] for a in artworks]
    rng.shuffle(ids)  # a mood order differs from the manifest order
    return {"artworks": artworks, "layout": {"per_room": per_room,
                                             "rooms": [ids[i:i + per_room] for i in range(0, count, per_room)]}}


def inside_wall(plan: dict, x: float, z: float, margin: float) -> bool:
    return any(b["min"][0] - margin < x < b["max"][0] + margin and b["min"][1] - margin < z < b["max"][1] + margin
               for b in plan["walls"] if b["kind"] != "lintel")


@pytest.mark.parametrize("count,per_room,seed", [(1, 6, 1), (4, 2, 2), (8, 4, 3), (13, 6, 4), (40, 12, 5), (24, 24, 6)])
def test_layout_hangs_every_work_in_order_without_overlaps(count, per_room, seed):
    data = synthetic(count, per_room, seed)
    plan = plan_for(data)
    dims, half = plan["dims"], plan["width"] / 2
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
        limits = (room["x0"], room["x1"]) if axis == 0 else (-half, half)
        assert limits[0] - 1e-9 <= lo and hi <= limits[1] + 1e-9, p["id"]
        if axis == 1 and p["wall"] not in ("entry", "exit"):  # a wall with a doorway in the middle
            assert hi <= -dims["doorWidth"] / 2 + 1e-9 or lo >= dims["doorWidth"] / 2 - 1e-9, p["id"]
        spans.setdefault((p["room"], p["wall"]), []).append((lo, hi))
        # Its viewpoint faces it from inside the room, clear of every wall.
        v = p["view"]
        assert room["x0"] < v["x"] < room["x1"] and -half < v["z"] < half
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
    # Doorways: the gap in each cross wall is as wide as a door, centred on the enfilade's axis.
    for door in plan["doors"]:
        assert not inside_wall(plan, door["x"], 0.0, radius)
        assert inside_wall(plan, door["x"], plan["dims"]["doorWidth"] / 2 + 0.01, 0)
