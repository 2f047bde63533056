"""Hosts on one machine for multi-host tests: network namespaces on a bridge, torn down for sure.

:class:`Lab` builds, as root, one network namespace per host plus a *hub* namespace that holds
the bridge, so nothing of the lab touches the machine's own network namespace::

    hub:   br0 10.77.0.254/24, one veth port per host, no uplink, no forwarding
    host:  eth0 10.77.0.N/24, default route via the hub (so a stray packet is seen, not lost)

Every host sends what is not for the lab to the hub, which drops it; a packet socket in the hub
with a kernel filter keeps a copy of each such packet (anything that is not ARP or IPv4 inside
the subnet), so :meth:`Lab.foreign_traffic` tells whether any address outside the lab was ever
contacted. IPv6 is switched off in every namespace; :meth:`Lab.loopback_packets` counts what a
host sent to itself over loopback.

Processes started with :meth:`Lab.spawn` run inside a host's namespace and are tracked;
:meth:`Lab.close` (also run by ``with``, by ``atexit`` and by :func:`sweep_stale` for a lab whose
test process died) kills them, then every other process still inside the lab's namespaces,
and deletes the namespaces. :meth:`Lab.socket` makes a socket inside a host's namespace without
leaving the calling thread's own (a short-lived thread switches with ``setns``), which is how
:meth:`Lab.tcp_rate` measures the bridge's raw rate.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import ipaddress
import os
import re
import secrets
import signal
import socket
import struct
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

T = TypeVar("T")

_CLONE_NEWNET = 0x40000000
_ETH_P_ALL = 0x0003
_SO_ATTACH_FILTER = 26
_PREFIX = "wrlab"
_NETNS_DIR = Path("/run/netns")


class LabError(Exception):
    """The lab cannot be built (not root, no ``ip``), or a command inside it failed."""


@dataclass(frozen=True)
class Host:
    """One host of the lab: its short name, its namespace and its address on the bridge."""

    name: str
    netns: str
    address: str


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    out = subprocess.run(["ip", *args], capture_output=True, text=True, timeout=30)
    if check and out.returncode != 0:
        raise LabError(f"ip {' '.join(args)}: {out.stderr.strip()}")
    return out


def _netns_pids(netns: str) -> list[int]:
    out = _ip("netns", "pids", netns, check=False)
    return [int(p) for p in out.stdout.split() if p.isdigit()]


def _kill_netns(netns: str) -> None:
    """Kill every process inside ``netns`` (all of them were started by the lab), then delete it."""
    for _ in range(50):
        pids = _netns_pids(netns)
        if not pids:
            break
        for pid in pids:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.1)
    _ip("netns", "del", netns, check=False)


def _descendants(pid: int) -> list[int]:
    """Every process descending from ``pid``, deepest first."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            # The name in parentheses may hold spaces; the parent's pid follows the state.
            parents[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    out: list[int] = []
    todo = [pid]
    while todo:
        parent = todo.pop()
        children = [c for c, p in parents.items() if p == parent]
        out = children + out
        todo += children
    return out


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def sweep_stale() -> list[str]:
    """Remove labs left by test processes that no longer exist (killed before their cleanup).

    A lab's namespaces are named ``wrlab-<pid>-<tag>-<host>``; only those whose ``pid`` is gone
    are touched, so labs of tests running at the same time are left alone.
    """
    removed = []
    with contextlib.suppress(FileNotFoundError):
        for name in sorted(os.listdir(_NETNS_DIR)):
            m = re.match(rf"^{_PREFIX}-(\d+)-", name)
            if m and not Path(f"/proc/{m[1]}").exists():
                _kill_netns(name)
                removed.append(name)
    return removed


def _bpf_foreign(subnet: ipaddress.IPv4Network) -> bytes:
    """A classic BPF program: keep frames that are neither ARP nor IPv4 within ``subnet``."""
    net, mask = int(subnet.network_address), int(subnet.netmask)
    # (code, jt, jf, k); offsets are into the Ethernet frame.
    ld_h, ld_w, jeq, alu_and, ret = 0x28, 0x20, 0x15, 0x54, 0x06
    prog = [
        (ld_h, 0, 0, 12),  # 0: ethertype
        (jeq, 8, 0, 0x0806),  # 1: ARP -> drop
        (jeq, 0, 6, 0x0800),  # 2: not IPv4 -> keep
        (ld_w, 0, 0, 26),  # 3: source address
        (alu_and, 0, 0, mask),  # 4
        (jeq, 0, 3, net),  # 5: source outside -> keep
        (ld_w, 0, 0, 30),  # 6: destination address
        (alu_and, 0, 0, mask),  # 7
        (jeq, 1, 0, net),  # 8: destination inside -> drop
        (ret, 0, 0, 256),  # 9: keep (the headers are enough)
        (ret, 0, 0, 0),  # 10: drop
    ]
    return b"".join(struct.pack("HBBI", *ins) for ins in prog)


def _describe(frame: bytes) -> str:
    if len(frame) < 14:
        return f"short frame ({len(frame)} bytes)"
    ethertype = struct.unpack("!H", frame[12:14])[0]
    if ethertype == 0x0800 and len(frame) >= 34:
        proto = frame[23]
        src, dst = socket.inet_ntoa(frame[26:30]), socket.inet_ntoa(frame[30:34])
        ihl = (frame[14] & 0x0F) * 4
        port = ""
        if proto in (6, 17) and len(frame) >= 14 + ihl + 4:
            port = f":{struct.unpack('!H', frame[14 + ihl + 2 : 14 + ihl + 4])[0]}"
        kind = {1: "icmp", 2: "igmp", 6: "tcp", 17: "udp"}.get(proto, f"proto {proto}")
        return f"{kind} {src} -> {dst}{port}"
    return f"ethertype 0x{ethertype:04x} ({len(frame)} bytes)"


class _Sniffer:
    """Keeps a description of every frame the kernel filter lets through, in a thread."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.seen: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lab-sniffer", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                frame = self.sock.recv(2048)
            except TimeoutError:
                continue
            except OSError:
                return
            if len(self.seen) < 1000:
                self.seen.append(_describe(frame))

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self.sock.close()


class Lab:
    """Hosts in network namespaces on one bridge; see the module's docstring. Needs root."""

    def __init__(
        self,
        names: Sequence[str],
        *,
        subnet: str = "10.77.0.0/24",
        first: int = 1,
        addresses: Mapping[str, int] | None = None,
        trap: bool = True,
    ) -> None:
        if os.geteuid() != 0:
            raise LabError("network namespaces need root")
        self.subnet = ipaddress.IPv4Network(subnet)
        tag = secrets.token_hex(3)
        self._base = f"{_PREFIX}-{os.getpid()}-{tag}"
        self.hub = f"{self._base}-hub"
        self.gateway = str(self.subnet.network_address + 254)
        self.hosts: dict[str, Host] = {}
        for i, name in enumerate(names):
            n = (addresses or {}).get(name, first + i)
            self.hosts[name] = Host(name, f"{self._base}-{name}", str(self.subnet[n]))
        self._trap = trap
        self._sniffer: _Sniffer | None = None
        self._procs: list[subprocess.Popen[bytes]] = []
        self._logs: list[IO[bytes]] = []
        self._closed = False
        self._lock = threading.Lock()
        atexit.register(self.close)
        try:
            self._build()
        except BaseException:
            self.close()
            raise

    # -- building ------------------------------------------------------------------------------

    def _namespaces(self) -> list[str]:
        return [self.hub, *(h.netns for h in self.hosts.values())]

    def _sysctl(self, netns: str, *settings: str) -> None:
        out = subprocess.run(
            ["ip", "netns", "exec", netns, "sysctl", "-qw", *settings],
            capture_output=True,
            text=True,
            timeout=30,
        )
        if out.returncode != 0:
            raise LabError(f"sysctl in {netns}: {out.stderr.strip()}")

    def _build(self) -> None:
        sweep_stale()
        no_v6 = ("net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1")
        for netns in self._namespaces():
            _ip("netns", "add", netns)
            self._sysctl(netns, *no_v6)
            _ip("-n", netns, "link", "set", "lo", "up")
        prefix = self.subnet.prefixlen
        # The switch itself joins no multicast group: its own IGMP reports would read as traffic
        # leaving the lab.
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0")
        _ip("-n", self.hub, "link", "set", "br0", "multicast", "off")
        _ip("-n", self.hub, "addr", "add", f"{self.gateway}/{prefix}", "dev", "br0")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        # No forwarding in the hub: a packet for elsewhere ends there.
        self._sysctl(self.hub, "net.ipv4.ip_forward=0")
        for i, host in enumerate(self.hosts.values()):
            port = f"p{i}"
            _ip("-n", self.hub, "link", "add", port, "type", "veth", "peer", "name", "eth0",
                "netns", host.netns)  # fmt: skip
            _ip("-n", self.hub, "link", "set", port, "master", "br0", "up")
            _ip("-n", host.netns, "addr", "add", f"{host.address}/{prefix}", "dev", "eth0")
            _ip("-n", host.netns, "link", "set", "eth0", "up")
            _ip("-n", host.netns, "route", "add", "default", "via", self.gateway)
        if self._trap:
            self._sniffer = _Sniffer(self._in_netns(self.hub, self._packet_socket))
        self._wait_links()

    def _packet_socket(self) -> socket.socket:
        sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(_ETH_P_ALL))
        program = _bpf_foreign(self.subnet)
        buf = ctypes.create_string_buffer(program)
        fprog = struct.pack("HL", len(program) // 8, ctypes.addressof(buf))
        sock.setsockopt(socket.SOL_SOCKET, _SO_ATTACH_FILTER, fprog)
        # Frames that arrived before the filter was attached may not match it: drain them.
        sock.setblocking(False)
        with contextlib.suppress(BlockingIOError):
            while True:
                sock.recv(65536)
        sock.setblocking(True)
        return sock

    def _wait_links(self, timeout_s: float = 10.0) -> None:
        """Wait until every host's port forwards (a bridge port starts in 'learning')."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            out = _ip("-n", self.hub, "-d", "link", "show", "master", "br0").stdout
            if out.count("state forwarding") >= len(self.hosts):
                return
            time.sleep(0.05)
        raise LabError("the bridge ports did not come up")

    # -- running things inside ----------------------------------------------------------------

    def host(self, name: str) -> Host:
        return self.hosts[name]

    def exec(
        self, name: str, argv: Sequence[str], *, timeout: float = 60, check: bool = True
    ) -> subprocess.CompletedProcess[str]:
        """Run a command inside host ``name`` and wait for it."""
        out = subprocess.run(
            ["ip", "netns", "exec", self.hosts[name].netns, *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and out.returncode != 0:
            raise LabError(f"{name}: {' '.join(argv)}: {out.stderr.strip()}")
        return out

    def spawn(
        self,
        name: str,
        argv: Sequence[str],
        *,
        log: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start a command inside host ``name``; it is killed by :meth:`close` at the latest."""
        with self._lock:
            if self._closed:
                raise LabError("the lab is closed")
            out: IO[bytes] | int = subprocess.DEVNULL
            if log is not None:
                fh = log.open("ab")
                self._logs.append(fh)
                out = fh
            proc = subprocess.Popen(
                ["ip", "netns", "exec", self.hosts[name].netns, *argv],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )
            self._procs.append(proc)
            return proc

    @staticmethod
    def kill(proc: subprocess.Popen[bytes], sig: int = signal.SIGKILL) -> None:
        """Send ``sig`` to a spawned process and all its descendants (a program may start its
        children in process groups of their own); for SIGKILL, wait for them to be gone."""
        tree = [*_descendants(proc.pid), proc.pid]
        for pid in tree:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, sig)
        if sig == signal.SIGKILL:
            proc.wait(timeout=10)
            deadline = time.monotonic() + 10
            while any(_alive(pid) for pid in tree) and time.monotonic() < deadline:
                time.sleep(0.02)

    def _in_netns(self, netns: str, fn: Callable[[], T]) -> T:
        """Call ``fn`` in a short-lived thread that has joined ``netns``."""
        result: list[Any] = []
        errors: list[BaseException] = []

        def run() -> None:
            libc = ctypes.CDLL(None, use_errno=True)
            try:
                fd = os.open(_NETNS_DIR / netns, os.O_RDONLY)
                try:
                    if libc.setns(fd, _CLONE_NEWNET) != 0:
                        raise OSError(ctypes.get_errno(), f"setns {netns}")
                finally:
                    os.close(fd)
                result.append(fn())
            except BaseException as exc:
                errors.append(exc)

        # The thread ends inside the namespace; no other code ever runs on it.
        thread = threading.Thread(target=run, name=f"in-{netns}")
        thread.start()
        thread.join()
        if errors:
            raise errors[0]
        return result[0]

    def socket(self, name: str, kind: int = socket.SOCK_STREAM) -> socket.socket:
        """A new IPv4 socket that lives in host ``name``'s namespace."""
        return self._in_netns(self.hosts[name].netns, lambda: socket.socket(socket.AF_INET, kind))

    # -- measuring -----------------------------------------------------------------------------

    def foreign_traffic(self) -> list[str]:
        """Every packet seen so far that left a host for somewhere outside the lab."""
        time.sleep(0.3)  # let the sniffer read what is queued
        return list(self._sniffer.seen) if self._sniffer is not None else []

    def loopback_packets(self, name: str) -> int:
        """Packets host ``name`` has sent to itself over loopback since the lab was built."""
        out = _ip("-n", self.hosts[name].netns, "-s", "link", "show", "lo").stdout
        lines = out.splitlines()
        for i, line in enumerate(lines):
            if line.strip().startswith("TX:") and i + 1 < len(lines):
                return int(lines[i + 1].split()[1])
        raise LabError(f"cannot read loopback counters of {name}")

    def tcp_rate(self, src: str, dsts: Sequence[str], nbytes: int, port: int = 5001) -> float:
        """Bytes per second, all together, of plain TCP from ``src`` to every host in ``dsts``
        at once (``nbytes`` to each): what the bridge and the machine carry without Syncthing."""
        listeners = []
        for dst in dsts:
            sock = self.socket(dst)
            sock.bind((self.hosts[dst].address, port))
            sock.listen(1)
            listeners.append(sock)
        received = [0] * len(dsts)
        errors: list[BaseException] = []

        def sink(i: int) -> None:
            try:
                conn, _ = listeners[i].accept()
                buf = bytearray(4 << 20)
                with conn:
                    while n := conn.recv_into(buf):
                        received[i] += n
            except BaseException as exc:
                errors.append(exc)

        def source(i: int) -> None:
            try:
                with self.socket(src) as sock:
                    sock.connect((self.hosts[dsts[i]].address, port))
                    chunk = memoryview(bytes(4 << 20))
                    left = nbytes
                    while left > 0:
                        sock.sendall(chunk[: min(left, len(chunk))])
                        left -= min(left, len(chunk))
            except BaseException as exc:
                errors.append(exc)

        sinks = [threading.Thread(target=sink, args=(i,)) for i in range(len(dsts))]
        for t in sinks:
            t.start()
        start = time.perf_counter()
        sources = [threading.Thread(target=source, args=(i,)) for i in range(len(dsts))]
        for t in sources:
            t.start()
        for t in sources + sinks:
            t.join(timeout=300)
        elapsed = time.perf_counter() - start
        for sock in listeners:
            sock.close()
        if errors:
            raise LabError(f"raw transfer failed: {errors[0]}")
        return sum(received) / elapsed

    # -- teardown ------------------------------------------------------------------------------

    def close(self) -> None:
        """Kill everything the lab started and delete its namespaces; safe to call again."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        for proc in self._procs:
            with contextlib.suppress(Exception):
                self.kill(proc)
        if self._sniffer is not None:
            self._sniffer.close()
        for netns in self._namespaces():
            with contextlib.suppress(Exception):
                _kill_netns(netns)
        for fh in self._logs:
            fh.close()

    def __enter__(self) -> Lab:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
