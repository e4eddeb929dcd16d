"""A big show on a 2-D floor plan (issue 13): 60 works in 15 rooms laid out on a grid, not a corridor; the
minimap draws the plan and walks the visitor through doorways to a room that is not next door; rooms too far
to draw are behind closed doors, never a black void."""
from __future__ import annotations

import json
import re
import shutil

import pytest

from .conftest import served
from .visit import WAIT, wait_ready

pytestmark = pytest.mark.browser

DATA = re.compile(r'(<script type="application/json" id="gallery-data">)(.*?)(</script>)', re.S)


@pytest.fixture(scope="module")
def big_site_url(built_site, tmp_path_factory):
    """The demo site with its page's data grown to 60 works (the four demo images, each hung 15 times)."""
    site = tmp_path_factory.mktemp("big") / "site"
    shutil.copytree(built_site, site)
    page = site / "index.html"
    html = page.read_text()
    data = json.loads(DATA.search(html).group(2))
    works = []
    for i in range(60):
        art = dict(data["artworks"][i % len(data["artworks"])])
        art.update(id=f"work-{i}", title=f"Work {i}")
        works.append(art)
    data["artworks"] = works
    ids = [a["id"] for a in works]
    data["layout"].update(per_room=4, rooms=[ids[i:i + 4] for i in range(0, 60, 4)], titles=[])
    page.write_text(DATA.sub(lambda m: m.group(1) + json.dumps(data).replace("</", "<\\/") + m.group(3), html))
    with served(site) as url:
        yield url


def hops_from(plan: dict, start: int) -> dict[int, int]:
    dist, todo = {start: 0}, [start]
    while todo:
        r = todo.pop(0)
        for n in plan["rooms"][r]["links"]:
            if n not in dist:
                dist[n] = dist[r] + 1
                todo.append(n)
    return dist


def test_the_minimap_walks_a_big_show_to_a_room_that_is_not_next_door(watched, big_site_url):
    page = watched.page
    page.goto(big_site_url + "index.html")
    wait_ready(page)
    plan = page.evaluate("window.imaudible.debug.plan()")
    assert len(plan["rooms"]) == 15
    b = plan["bounds"]
    width, depth = b["x1"] - b["x0"], b["z1"] - b["z0"]
    assert max(width, depth) / min(width, depth) < 3
    dist = hops_from(plan, 0)
    assert sorted(dist) == list(range(15))  # every room reached through doorways
    # Far rooms are not drawn; every doorway into one is shown closed, so no view ends in a void.
    drawn = page.evaluate("window.imaudible.debug.drawn()")
    assert drawn["rooms"] == [dist[i] <= 2 for i in range(15)]
    for door, closed in zip(plan["doors"], drawn["closedDoors"]):
        assert closed == any(dist[r] > 2 for r in door["between"])
    assert any(drawn["closedDoors"])
    # The minimap is the whole plan: its shape follows the plan's, not a strip of it.
    box = page.locator("#minimap").bounding_box()
    assert box["height"] / box["width"] == pytest.approx(depth / width, rel=0.1)
    target = next(i for i in range(15) if dist[i] == 3)
    room = plan["rooms"][target]
    centre = [(room["x0"] + room["x1"]) / 2, (room["z0"] + room["z1"]) / 2]
    point = page.evaluate("xz => window.imaudible.debug.minimapPoint(xz)", centre)
    page.mouse.click(point["x"], point["y"])
    page.wait_for_function(f"() => window.imaudible.state.currentRoom === {target} && !window.imaudible.state.navigating",
                           timeout=WAIT)
    view = page.evaluate("window.imaudible.debug.view()")
    assert room["x0"] < view["x"] < room["x1"] and room["z0"] < view["z"] < room["z1"]
    assert page.locator("#room-name").inner_text() == f"Room {target + 1} of 15"
    drawn = page.evaluate("window.imaudible.debug.drawn()")
    assert drawn["rooms"][target] and not drawn["rooms"][0]  # the first room is now 3 doorways back
    watched.screenshot("floorplan-big-show")
    watched.assert_clean()


TEXTURE_FETCHES = """() => performance.getEntriesByType("resource")
    .filter(e => e.initiatorType === "fetch" && /\\/img\\//.test(e.name)).length"""


def test_a_glide_across_the_show_fetches_no_textures_for_the_rooms_it_passes(watched, big_site_url):
    """Rooms are textured by proximity: a jump from the first work to the last glides through the rooms
    between, and only where it stops (and the rooms next door) fetches textures, not every room on the way."""
    page = watched.page
    page.goto(big_site_url + "index.html")
    wait_ready(page)
    page.wait_for_function("() => window.imaudible.state.sharp", timeout=WAIT)
    plan = page.evaluate("window.imaudible.debug.plan()")
    last = plan["rooms"][-1]
    around_last = {14, *plan["rooms"][14]["links"]}
    assert 0 not in around_last and len(hops_from(plan, 0)) == 15
    page.wait_for_timeout(2000)  # the first room's neighbours, fetched ahead
    before = page.evaluate(TEXTURE_FETCHES)
    page.evaluate("id => window.imaudible.goTo(id)", last["ids"][-1])
    page.wait_for_function("() => window.imaudible.state.currentRoom === 14 && !window.imaudible.state.navigating",
                           timeout=WAIT)
    page.wait_for_function(f"() => {sorted(around_last)}.every(r => window.imaudible.state.roomsLoaded.includes(r))",
                           timeout=WAIT)
    page.wait_for_timeout(2000)
    fetched = page.evaluate(TEXTURE_FETCHES) - before
    # Each painting of the rooms around the last: its thumbnail then its texture, at most twice over (the
    # destination is asked for as the glide starts, and may be let go on the way while far).
    assert fetched <= 4 * len(around_last) * 2 * 2, fetched
    watched.assert_clean()
