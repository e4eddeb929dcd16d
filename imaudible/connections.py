"""Bounds on the preview server's connections, so that one slow or greedy client cannot hold it.

- At most MAX_CONNECTIONS at once (each is a thread): one more is answered 503 at once and closed.
- A request's line and headers must have arrived HEAD_SECONDS after the server began to wait for them. The
  socket's timeout is per read, so a client that sent a byte every 29 s held its thread for ever; past the
  deadline its connection is shut down. An answer being sent (music streaming to a slow reader) has no
  deadline: its writes time out on their own.
"""
from __future__ import annotations

import contextlib
import socket
import threading
import time

MAX_CONNECTIONS = 64      # a browser opens ~6 per site; live reload and the music add a few
HEAD_SECONDS = 40.0       # the idle wait for a next request (serve.IDLE_SECONDS, 30 s) and time to send its head
CHECK_EVERY = 1.0
BUSY = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: 48\r\n"
        b"Connection: close\r\nRetry-After: 1\r\n\r\n503 the preview server has too many connections\n")


class BoundedConnections:
    """Mixed into a `socketserver.ThreadingMixIn` server before it, with `HeadDeadline` in its handler."""

    def __init__(self, *args, **kwargs):
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)
        self._deadlines: dict[socket.socket, float] = {}
        self._deadlines_lock = threading.Lock()
        self._closed = threading.Event()
        super().__init__(*args, **kwargs)
        threading.Thread(target=self._shut_late_heads, daemon=True, name="serve-deadlines").start()

    def process_request(self, request, client_address):
        if not self._slots.acquire(blocking=False):
            with contextlib.suppress(OSError):
                request.sendall(BUSY)
            self.shutdown_request(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request, client_address):
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.head_read(request)
            self._slots.release()

    def server_close(self):
        self._closed.set()
        super().server_close()

    def waiting_for_head(self, connection: socket.socket) -> None:
        with self._deadlines_lock:
            self._deadlines[connection] = time.monotonic() + HEAD_SECONDS

    def head_read(self, connection: socket.socket) -> None:
        with self._deadlines_lock:
            self._deadlines.pop(connection, None)

    def _shut_late_heads(self) -> None:
        while not self._closed.wait(CHECK_EVERY):
            now = time.monotonic()
            with self._deadlines_lock:
                late = [connection for connection, deadline in self._deadlines.items() if deadline < now]
            for connection in late:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)   # its blocked read returns: the handler ends


class HeadDeadline:
    """Mixed into a `BaseHTTPRequestHandler` before it: each request's line and headers are timed."""

    def handle_one_request(self):
        self.server.waiting_for_head(self.connection)
        super().handle_one_request()

    def parse_request(self):
        try:
            return super().parse_request()
        finally:
            self.server.head_read(self.connection)
