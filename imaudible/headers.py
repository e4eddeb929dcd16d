"""The HTTP headers of the site: one definition for the deployed `_headers` file and the preview server,
so that a preview breaks where production would."""
from __future__ import annotations

CSP = ("default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
       "script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'self'")

# Sent with every response.
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
}

# Types that hosts guess wrong (a .webm here is Opus audio, not video).
CONTENT_TYPES = {".webm": "audio/webm", ".ogg": "audio/ogg", ".opus": "audio/ogg", ".m4a": "audio/mp4",
                 ".mp3": "audio/mpeg", ".webp": "image/webp"}
