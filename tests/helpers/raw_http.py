"""HTTP/1.1 written by hand on a socket, for what a well-behaved client never sends: bytes that are not
UTF-8 or not HTTP, a body cut short, headers or a body sent a byte at a time."""

from __future__ import annotations

import http.client
import json
import select
import socket
import time
from dataclasses import dataclass
from typing import Any

GUARD = 30.0  # seconds before a test gives up on an answer: a hang guard, not a timing assertion


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def connect(url: str) -> socket.socket:
    host, _, port = url.removeprefix("http://").partition(":")
    sock = socket.create_connection((host, int(port)), timeout=GUARD)
    return sock


def request_head(method: str, path: str, headers: dict[str, str]) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", *(f"{name}: {value}" for name, value in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def read_answer(sock: socket.socket) -> Answer:
    """The server's answer on this socket (http.client parses it)."""
    response = http.client.HTTPResponse(sock)
    response.begin()
    body = response.read()
    return Answer(response.status, {k.lower(): v for k, v in response.getheaders()}, body)


def closed_without_answer(sock: socket.socket) -> bool:
    """True when the server closes the connection without sending a byte."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True


def trickle(sock: socket.socket, data: bytes, every: float) -> Answer:
    """Send `data` a byte every `every` seconds, as a slow client would, until the server answers."""
    deadline = time.monotonic() + GUARD
    for byte in data:
        readable, _, _ = select.select([sock], [], [], every)
        if readable:
            break
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
    else:
        select.select([sock], [], [], max(0.0, deadline - time.monotonic()))
    return read_answer(sock)
