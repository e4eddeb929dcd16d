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

# What the preview server answers with, by suffix.
MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".svg": "image/svg+xml",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".avif": "image/avif",
    ".ico": "image/x-icon",
    ".webm": "audio/webm",  # the site's .webm files are Opus audio
    ".ogg": "audio/ogg",
    ".opus": "audio/ogg",
    ".m4a": "audio/mp4",
    ".mp3": "audio/mpeg",
    ".wasm": "application/wasm",
    ".woff2": "font/woff2",
    ".txt": "text/plain; charset=utf-8",
    ".toml": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".webmanifest": "application/manifest+json",
    **CONTENT_TYPES,  # what the deployed site's _headers says
}
