"""What the site gets of one artwork: the `ArtworkView` assembled from the stages' typed read sides."""
from __future__ import annotations

from ..types import ArtworkView


def artwork_view(art, views: dict) -> ArtworkView:
    ingest, caption, music, audio = views["ingest"], views["caption"], views["music"], views["audio"]
    return ArtworkView(
        art=art, width=ingest.width, height=ingest.height, images=views["derive"].images, mood=views["mood"],
        caption=caption.text, caption_model=caption.model, caption_draft=caption.draft,
        prompt=views["prompt"].text, music_model=music.model, music_draft=music.draft,
        audio=audio.files, duration=audio.duration, takes=music.takes, prompt_writer=views["prompt"].model,
        music_description=music.description)
