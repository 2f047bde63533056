"""A small client for Syncthing's REST API, over a Unix socket or 127.0.0.1, with the API key.

Only the calls the fleet needs, each a thin method returning Syncthing's JSON. Every failure
(Syncthing not running, a refused key, an HTTP error) is one :class:`SyncthingError` whose
message says what to check. Standard library only: the kiosk carries no HTTP client for this.

The calls (Syncthing's REST API documentation names them the same):
``/rest/system/status``, ``/rest/system/connections``, ``/rest/stats/device``,
``/rest/db/status``, ``/rest/db/file``, ``/rest/db/completion``, ``/rest/db/scan``,
``/rest/events``, ``/rest/config/...``, ``/rest/cluster/pending/devices``.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
import urllib.parse
from pathlib import Path
from typing import Any

from kiosk.fleet.config import read_gui
from kiosk.fleet.layout import FleetError


class SyncthingError(FleetError):
    """Syncthing's REST API could not be used. ``status`` is the HTTP status (0: no answer)."""

    def __init__(self, message: str, status: int = 0) -> None:
        super().__init__(message)
        self.status = status


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self._path)
        except OSError:
            sock.close()
            raise
        self.sock = sock


class SyncthingClient:
    """Syncthing's REST API at ``address`` (``/path/to/socket`` or ``127.0.0.1:8384``)."""

    def __init__(self, address: str, api_key: str, timeout: float = 10.0) -> None:
        self.address = address
        self.api_key = api_key
        self.timeout = timeout

    @classmethod
    def from_config(cls, config_xml: Path, timeout: float = 10.0) -> SyncthingClient:
        """The client for the node whose ``config.xml`` this is."""
        gui = read_gui(config_xml)
        return cls(gui.address, gui.api_key, timeout)

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        if self.address.startswith("/"):
            return _UnixConnection(self.address, timeout)
        host = self.address.removeprefix("http://")
        return http.client.HTTPConnection(host, timeout=timeout)

    def request(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        body: Any = None,
        timeout: float | None = None,
    ) -> Any:
        """One call; Syncthing's JSON answer (None for an empty one)."""
        query = {k: v for k, v in (params or {}).items() if v is not None}
        url = path + ("?" + urllib.parse.urlencode(query) if query else "")
        headers = {"X-API-Key": self.api_key}
        data = None
        if body is not None:
            data = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        for attempt in (1, 2):
            conn = self._connection(self.timeout if timeout is None else timeout)
            try:
                conn.request(method, url, body=data, headers=headers)
                response = conn.getresponse()
                raw = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError) as exc:
                # Syncthing restarts its API server when its GUI settings change, closing the
                # connections it had; every call here may be repeated, so try once more.
                if attempt == 2:
                    raise SyncthingError(f"Syncthing closed the connection ({exc})") from None
                time.sleep(0.2)
            except (OSError, http.client.HTTPException) as exc:
                raise SyncthingError(
                    f"Syncthing does not answer at {self.address} ({exc}); is its service running?"
                ) from None
            finally:
                conn.close()
        if response.status == 403:
            raise SyncthingError("Syncthing refused the API key (config.xml changed?)", 403)
        if response.status >= 400:
            text = raw.decode("utf-8", "replace").strip()
            raise SyncthingError(
                f"Syncthing: {method} {path}: {response.status} {text}", response.status
            )
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")

    def get(self, path: str, timeout: float | None = None, **params: Any) -> Any:
        return self.request("GET", path, params, timeout=timeout)

    # -- the system ------------------------------------------------------------------------------

    def system_status(self) -> dict[str, Any]:
        return dict(self.get("/rest/system/status"))

    def my_id(self) -> str:
        return str(self.system_status()["myID"])

    def ping(self) -> bool:
        """True when Syncthing answers."""
        try:
            self.get("/rest/system/ping")
        except SyncthingError:
            return False
        return True

    def connections(self) -> dict[str, Any]:
        """``{"connections": {device: {"connected": bool, "address": ...}}, ...}``."""
        return dict(self.get("/rest/system/connections"))

    def device_stats(self) -> dict[str, Any]:
        """Per device: ``lastSeen`` (time), ``lastConnectionDurationS``."""
        return dict(self.get("/rest/stats/device"))

    def pending_devices(self) -> dict[str, Any]:
        """Devices that tried to connect and are not paired: ``{device: {name, address, time}}``."""
        try:
            return dict(self.get("/rest/cluster/pending/devices") or {})
        except SyncthingError as exc:
            if exc.status == 404:  # a Syncthing older than 1.13
                return {}
            raise

    # -- folders ---------------------------------------------------------------------------------

    def db_status(self, folder: str) -> dict[str, Any]:
        return dict(self.get("/rest/db/status", folder=folder))

    def db_file(self, folder: str, name: str) -> dict[str, Any] | None:
        """What Syncthing knows of one file: ``{"local": ..., "global": ..., "availability"}``;
        None when it knows nothing of it."""
        try:
            data = self.get("/rest/db/file", folder=folder, file=name)
        except SyncthingError as exc:
            if exc.status == 404:
                return None
            raise
        return dict(data) if isinstance(data, dict) else None

    def completion(self, folder: str, device: str) -> dict[str, Any]:
        """How much of ``folder`` ``device`` has: ``completion`` (percent), ``needBytes``..."""
        return dict(self.get("/rest/db/completion", folder=folder, device=device))

    def remote_need(self, folder: str, device: str) -> list[str]:
        """Names of the files ``device`` still needs in ``folder`` (first page)."""
        data = self.get("/rest/db/remoteneed", folder=folder, device=device, perpage=1000) or {}
        return [str(f.get("name", "")) for f in data.get("files") or []]

    def scan(self, folder: str, sub: str | None = None) -> None:
        """Ask Syncthing to look at ``folder`` (or one path in it) now."""
        self.request("POST", "/rest/db/scan", {"folder": folder, "sub": sub}, timeout=120)

    def events(
        self,
        since: int,
        types: tuple[str, ...] = (),
        timeout_s: int = 10,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Events after ``since`` (at most the last ``limit``), waiting up to ``timeout_s`` for
        one to happen."""
        params: dict[str, Any] = {"since": since, "timeout": timeout_s, "limit": limit}
        if types:
            params["events"] = ",".join(types)
        data = self.request("GET", "/rest/events", params, timeout=timeout_s + self.timeout)
        return list(data or [])

    # -- configuration ---------------------------------------------------------------------------

    def config(self) -> dict[str, Any]:
        return dict(self.get("/rest/config"))

    def get_folder(self, folder: str) -> dict[str, Any] | None:
        try:
            return dict(self.get(f"/rest/config/folders/{urllib.parse.quote(folder)}"))
        except SyncthingError as exc:
            if exc.status == 404:
                return None
            raise

    def default_folder(self) -> dict[str, Any]:
        return dict(self.get("/rest/config/defaults/folder"))

    def default_device(self) -> dict[str, Any]:
        return dict(self.get("/rest/config/defaults/device"))

    def put_folder(self, folder: dict[str, Any]) -> None:
        path = f"/rest/config/folders/{urllib.parse.quote(str(folder['id']))}"
        self.request("PUT", path, body=folder)

    def put_device(self, device: dict[str, Any]) -> None:
        path = f"/rest/config/devices/{urllib.parse.quote(str(device['deviceID']))}"
        self.request("PUT", path, body=device)
