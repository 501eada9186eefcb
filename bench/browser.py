"""The bench's HTTP client: raw HTTP/1.1 over asyncio, one connection a request, and a browser on top.

``exchange`` sends one request and reads the whole answer (``Connection: close``, as the sync
gunicorn workers close anyway), timing it from connecting to the first byte and to the last. ``Browser`` is one
user's browser: it keeps the cookies the portal sets (and drops those it deletes), follows
redirects with a GET, submits the form on the page it is on to that page's own URL with the CSRF
token read from the page, and sends Origin and Referer as a browser does. Every exchange's time
goes into ``timings``, so a journey's individual requests can be measured.
"""

import asyncio
import re
import time
import urllib.parse
import uuid
from dataclasses import dataclass

REDIRECTS = (301, 302, 303)
MAX_REDIRECTS = 10
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
FAILURE_BODY_BYTES = 300


@dataclass
class Response:
    method: str
    path: str
    status: int
    headers: dict[str, list[str]]
    body: bytes
    elapsed: float  # connecting to the last byte
    first_byte: float = 0.0  # connecting to the first byte of the answer (TTFB)

    def header(self, name: str) -> str:
        return self.headers.get(name, [""])[0]


class Failure(Exception):
    """A step the portal did not answer as a user expects: what, the status and how the page began."""

    def __init__(self, step: str, response: Response):
        body = response.body[:FAILURE_BODY_BYTES].decode("utf-8", errors="replace")
        super().__init__(f"{step}: {response.status} for {response.method} {response.path}\n{body}")


async def exchange(port: int, method: str, path: str, *, headers: dict, body: bytes = b"") -> Response:
    started = time.perf_counter()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close",
             f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()
    raw = await reader.read(65536)
    first_byte = time.perf_counter() - started
    raw += await reader.read()
    writer.close()
    elapsed = time.perf_counter() - started
    if not raw:
        raise ConnectionError(f"no answer to {method} {path}")
    head, _, payload = raw.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    response_headers: dict[str, list[str]] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        response_headers.setdefault(name.strip().lower(), []).append(value.strip())
    return Response(method, path, int(status_line.split()[1]), response_headers, payload, elapsed, first_byte)


def csrf_token(response: Response) -> str:
    match = CSRF_FIELD.search(response.body)
    if match is None:
        raise Failure("no CSRF token on the page", response)
    return match.group(1).decode()


def multipart(fields: dict[str, str], files: dict[str, tuple[str, str, bytes]]) -> tuple[str, bytes]:
    """(content type, body) of multipart/form-data; ``files`` maps a field to (name, type, bytes)."""
    boundary = f"----bench{uuid.uuid4().hex}"
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
             for name, value in fields.items()]
    for name, (filename, content_type, content) in files.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                     f"Content-Type: {content_type}\r\n\r\n".encode() + content + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return f"multipart/form-data; boundary={boundary}", b"".join(parts)


class Browser:
    """One user's browser against the portal on ``port``; ``page`` is where it is now."""

    def __init__(self, port: int):
        self.port = port
        self.origin = f"http://127.0.0.1:{port}"
        self.cookies: dict[str, str] = {}
        self.timings: list[float] = []
        self.page: Response | None = None

    def cookie_header(self) -> str:
        return "; ".join(f"{name}={value}" for name, value in self.cookies.items())

    async def get(self, path: str) -> Response:
        return await self._follow(await self._send("GET", path))

    async def submit(self, fields: dict[str, str], *, files: dict[str, tuple[str, str, bytes]] | None = None
                     ) -> Response:
        """Submit the form on the current page (the portal's forms post to their own page)."""
        fields = {"csrfmiddlewaretoken": csrf_token(self.page), **fields}
        if files:
            content_type, body = multipart(fields, files)
        else:
            content_type, body = "application/x-www-form-urlencoded", urllib.parse.urlencode(fields).encode()
        response = await self._send("POST", self.page.path, body=body, headers={
            "Content-Type": content_type, "Origin": self.origin, "Referer": self.origin + self.page.path})
        return await self._follow(response)

    async def sign_in(self, username: str, password: str, *, next_path: str) -> None:
        await self.get(f"/accounts/login/?next={urllib.parse.quote(next_path)}")
        page = await self.submit({"username": username, "password": password, "next": next_path})
        if page.status != 200 or page.path != next_path:
            raise Failure(f"sign-in of {username}", page)

    async def _send(self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None) -> Response:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = self.cookie_header()
        response = await exchange(self.port, method, path, headers=headers, body=body)
        self.timings.append(response.elapsed)
        self._keep_cookies(response)
        return response

    async def _follow(self, response: Response) -> Response:
        for _ in range(MAX_REDIRECTS):
            if response.status not in REDIRECTS:
                break
            location = urllib.parse.urlsplit(response.header("location"))
            response = await self._send("GET", location.path + (f"?{location.query}" if location.query else ""))
        self.page = response
        return response

    def _keep_cookies(self, response: Response) -> None:
        for cookie in response.headers.get("set-cookie", []):
            pair, *attributes = cookie.split(";")
            name, _, value = pair.strip().partition("=")
            if any(attribute.strip().lower() == "max-age=0" for attribute in attributes):
                self.cookies.pop(name, None)  # how Django deletes a cookie (the messages, a session)
            else:
                self.cookies[name] = value
