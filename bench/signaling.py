"""Benchmark: live rooms on one server process — joins, and signaling relay against a bare floor.

One uvicorn process of the real app (``bench/signaling_server.py``: exactly
``odr.app:asgi``, plus timing of the join steps inside the server) on the
embedded default deployment (SQLite, no Redis: one process needs neither),
pinned to the first CPU. This process is the load generator, pinned to the
second CPU: N participants, python-socketio ``AsyncClient`` s, in meetings of
four (a mediator hosting, three parties), and one media-node client per
``--rooms-per-node`` meetings.

Join. Participants arrive at ``--join-rate`` per second. A host connects with
its room token and is in; a party connects with its token (lobby), enters its
entry code (L2), acknowledges the sham-mediation warning (L9), and its host
admits it; it has joined when the roster (the peer list) naming it admitted
reaches it. The join latency is the server's own time for those steps,
measured in the server (``perf_counter`` around each handler, database waits
included); the time the load generator took to react between steps is not
the server's and is left out (it is shown beside, as the client saw it).

Relay. With everyone in, each participant sends ICE candidates
(``rtc.candidate``, acknowledged) as fast as acks come back, at most
``--sender-rate`` per second each (below the per-connection rate limit), and
the server forwards each to the meeting's media node. The same clients then
do the same against ``bench/signaling_bare.py``, a bare python-socketio relay
(no auth, no schema, no persistence), on the same CPU, in alternating slices.
Throughput is candidates delivered per second of server CPU time (from
/proc), so a load generator that cannot keep a server busy does not flatter
either side; the wall-clock rates and CPU shares are printed too.
``relay_overhead`` = bare throughput / our throughput.

    .venv/bin/python bench/signaling.py                    # 2,000 participants
    .venv/bin/python bench/signaling.py --participants 400
    .venv/bin/python bench/signaling.py --smoke            # 40 participants, seconds (CI)

The last line is one JSON object:
``{"bench": "signaling", "participants", "join_p50_ms", "join_p99_ms", "relay_overhead"}``.
Goal: 2,000 participants on one process, join p99 < 100 ms, relay_overhead <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx
import socketio

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bench._support import BenchError, CpuSampler, pinned_uvicorn, process_cpu_seconds  # noqa: E402
from bench.signaling_seed import ENTRY_CODE, RoomSpec, SeatSpec, seed_rooms  # noqa: E402
from odr.clock import SystemClock  # noqa: E402
from odr.db import migrations  # noqa: E402
from odr.meetings.models import MediaNode, Meeting  # noqa: E402
from odr.meetings.tokens import issue_room_token  # noqa: E402
from odr.services import Services  # noqa: E402
from odr.settings import Settings  # noqa: E402
from signaling.nodes import hash_credential  # noqa: E402
from signaling.protocol import NAMESPACE  # noqa: E402
from tests.support.servers import free_port  # noqa: E402

CANDIDATE = {"pc": "publish", "candidate": "candidate:842163049 1 udp 1677729535 203.0.113.7 "
             "53911 typ srflx raddr 192.168.1.23 rport 53911 generation 0",
             "sdp_mid": "0", "sdp_mline_index": 0}
STEPS = ("connect", "entry.code", "entry.ack_warning", "lobby.admit")


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


# ---------------------------------------------------------------- setup


@dataclass
class Deployment:
    settings: Settings
    env: dict[str, str]
    rooms: list[RoomSpec]
    nodes: dict[str, str]  # name -> credential


async def prepare(var_dir: Path, participants: int, rooms_per_node: int) -> Deployment:
    db_url = f"sqlite+aiosqlite:///{var_dir / 'odr.sqlite3'}"
    await asyncio.to_thread(migrations.upgrade, db_url)
    env = {
        "ODR_ENVIRONMENT": "production",
        "ODR_DATABASE_URL": db_url,
        "ODR_SECRET_KEY": secrets.token_urlsafe(32),
        "ODR_COOKIE_SECURE": "true",
        "ODR_NOTIFY_CHANNELS": '["database"]',
        "ODR_LOG_LEVEL": "WARNING",  # the bench measures serving, not logging
        "ODR_VAR_DIR": str(var_dir),
        "ODR_FRONTEND_DIST": str(var_dir / "no-frontend"),
    }
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="production", database_url=db_url, var_dir=var_dir,
        secret_key=env["ODR_SECRET_KEY"], cookie_secure=True,
    )
    services = Services.build(settings, SystemClock())
    try:
        rooms = await seed_rooms(services, participants // 4)
        nodes: dict[str, str] = {}
        now = services.clock.now()
        async with services.db.uow() as uow:
            for start in range(0, len(rooms), rooms_per_node):
                name, credential = f"bench-node-{start // rooms_per_node}", secrets.token_urlsafe(32)
                nodes[name] = credential
                uow.session.add(MediaNode(id=name, credential_hash=hash_credential(credential),
                                          last_heartbeat_at=now, registered_at=now))
                await uow.session.flush()
                for room in rooms[start:start + rooms_per_node]:
                    meeting = await uow.session.get(Meeting, room.meeting_id)
                    assert meeting is not None
                    meeting.media_node_id = name
    finally:
        await services.close()
    return Deployment(settings, env, rooms, nodes)


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 180) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise BenchError(f"server exited with code {proc.returncode} before answering")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/socket.io/?EIO=4&transport=polling", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise BenchError(f"server at {url} did not answer in {timeout:.0f} s")


# ---------------------------------------------------------------- clients


@dataclass
class Node:
    client: socketio.AsyncClient
    received: int = 0


@dataclass
class Person:
    seat: SeatSpec
    node: str
    client: socketio.AsyncClient | None = None
    sid: str = ""
    in_room: asyncio.Event = field(default_factory=asyncio.Event)
    joined_ms: float = 0.0  # as the client saw it, host reaction included
    sent: int = 0
    refused: int = 0


class Load:
    """Every client of one run, on one shared HTTP session."""

    def __init__(self, http: aiohttp.ClientSession) -> None:
        self.http = http
        self.nodes: dict[str, Node] = {}
        self.node_sids: set[str] = set()

    def client(self) -> socketio.AsyncClient:
        return socketio.AsyncClient(reconnection=False, http_session=self.http)

    async def connect(self, client: socketio.AsyncClient, url: str, auth: dict[str, Any]) -> None:
        await client.connect(url, transports=["websocket"], namespaces=[NAMESPACE], auth=auth,
                             wait_timeout=30)

    async def connect_node(self, url: str, name: str, auth: dict[str, Any]) -> None:
        client = self.client()
        node = self.nodes[name] = Node(client)

        def got(_data: Any) -> None:
            node.received += 1

        client.on("rtc.candidate", got, namespace=NAMESPACE)
        await self.connect(client, url, auth)
        self.node_sids.add(client.get_sid(NAMESPACE) or "")

    def delivered(self) -> int:
        return sum(n.received for n in self.nodes.values())

    async def close(self) -> None:
        await asyncio.gather(*(n.client.disconnect() for n in self.nodes.values()),
                             return_exceptions=True)
        self.nodes.clear()


async def disconnect_all(load: Load, people: Any) -> None:
    await asyncio.gather(*(p.client.disconnect() for p in people if p.client), return_exceptions=True)
    await load.close()


async def call(client: socketio.AsyncClient, event: str, data: dict[str, Any]) -> dict[str, Any]:
    answer = await client.call(event, data, namespace=NAMESPACE, timeout=30)
    if not isinstance(answer, dict) or not answer.get("ok"):
        raise BenchError(f"{event} refused: {answer}")
    return answer


async def join_room(load: Load, url: str, deployment: Deployment, room: RoomSpec,
                    people: dict[int, Person], arrivals: list[float]) -> None:
    """Host first, then each party at its arrival time: connect, entry checks, admitted."""
    settings, loop = deployment.settings, asyncio.get_running_loop()
    host = people[room.seats[0].seat_id]

    def token(seat: SeatSpec) -> str:
        value, _ = issue_room_token(settings, settings_now(), meeting_id=seat.meeting_id,
                                    seat_id=seat.seat_id, user_id=seat.user_id, role=seat.role)
        return value

    async def enter(person: Person, at: float) -> None:
        await asyncio.sleep(max(0.0, at - loop.time()))
        client = person.client = load.client()
        seat_id = person.seat.seat_id

        def roster(data: dict[str, Any]) -> None:
            if any(s["seat_id"] == seat_id and s["state"] == "admitted" for s in data["seats"]):
                person.in_room.set()

        client.on("roster", roster, namespace=NAMESPACE)
        started = loop.time()
        await load.connect(client, url, {"token": token(person.seat)})
        person.sid = client.get_sid(NAMESPACE) or ""
        if not person.seat.host:
            await host.in_room.wait()  # entry checks start once the host opened the meeting
            await call(client, "entry.code", {"code": ENTRY_CODE})
            await call(client, "entry.ack_warning", {})
            assert host.client is not None
            await call(host.client, "lobby.admit", {"seat_id": seat_id})
        await asyncio.wait_for(person.in_room.wait(), timeout=60)
        person.joined_ms = (loop.time() - started) * 1000

    await asyncio.gather(*(enter(people[s.seat_id], at) for s, at in zip(room.seats, arrivals, strict=True)))


def settings_now() -> Any:
    return SystemClock().now()


async def relay_slice(load: Load, people: list[Person], seconds: float, sender_rate: float) -> None:
    """Every participant sends candidates, one in flight, at most ``sender_rate`` a second."""
    loop = asyncio.get_running_loop()
    stop = loop.time() + seconds
    gap = 1.0 / sender_rate

    async def send(person: Person) -> None:
        client = person.client
        assert client is not None
        await asyncio.sleep(gap * secrets.randbelow(1000) / 1000)  # spread the first sends
        while loop.time() < stop:
            next_at = loop.time() + gap
            try:
                answer = await client.call("rtc.candidate", CANDIDATE, namespace=NAMESPACE,
                                           timeout=30)
            except socketio.exceptions.TimeoutError:
                answer = None
            if isinstance(answer, dict) and answer.get("ok"):
                person.sent += 1
            else:
                person.refused += 1
            await asyncio.sleep(max(0.0, next_at - loop.time()))

    await asyncio.gather(*(send(p) for p in people))


@dataclass
class RelayTotals:
    name: str
    pid: int
    delivered: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    refused: int = 0

    @property
    def per_cpu_second(self) -> float:
        return self.delivered / self.cpu_seconds if self.cpu_seconds else 0.0

    def show(self) -> None:
        print(f"{self.name:>9}: {self.per_cpu_second:8.0f} candidates per server CPU second; "
              f"{self.delivered / self.seconds:7.0f}/s wall clock, server CPU "
              f"{100 * self.cpu_seconds / self.seconds:3.0f}% over {self.seconds:.0f} s "
              f"({self.delivered} delivered, {self.refused} refused)", flush=True)


async def measure(load: Load, people: list[Person], totals: RelayTotals, seconds: float,
                  sender_rate: float) -> None:
    for p in people:
        p.sent = p.refused = 0
    before_delivered = load.delivered()
    before_cpu = process_cpu_seconds(totals.pid)
    started = time.monotonic()
    await relay_slice(load, people, seconds, sender_rate)
    # the last candidates were acknowledged; give deliveries to nodes a moment to land
    sent = sum(p.sent for p in people)
    deadline = time.monotonic() + 5
    while load.delivered() - before_delivered < sent and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    totals.seconds += time.monotonic() - started
    totals.cpu_seconds += process_cpu_seconds(totals.pid) - before_cpu
    totals.delivered += load.delivered() - before_delivered
    totals.refused += sum(p.refused for p in people)


# ---------------------------------------------------------------- the run


@dataclass
class Figures:
    join_ms: list[float]
    host_ms: list[float]
    client_ms: list[float]
    steps_ms: dict[str, list[float]]
    ours: RelayTotals
    bare: RelayTotals
    busy: list[float]


def server_join_times(records: list[list[Any]], people: dict[int, Person],
                      node_sids: set[str]) -> tuple[list[float], list[float], dict[str, list[float]]]:
    """Sum the server's step times per party (connect, code, warning, admit); hosts: connect."""
    by_sid = {p.sid: p for p in people.values()}
    total: dict[int, float] = {}
    steps: dict[str, list[float]] = {s: [] for s in STEPS}
    for event, sid, target, start, end in records:
        if sid in node_sids:
            continue  # a media node's connect is not a participant's join
        ms = (end - start) * 1000
        steps[event].append(ms)
        person = people.get(target) if event == "lobby.admit" else by_sid.get(sid)
        if person is None:
            raise BenchError(f"a timed {event} matches no participant")
        total[person.seat.seat_id] = total.get(person.seat.seat_id, 0.0) + ms
    parties = [total[p.seat.seat_id] for p in people.values() if not p.seat.host]
    hosts = [total[p.seat.seat_id] for p in people.values() if p.seat.host]
    return parties, hosts, steps


async def run(args: argparse.Namespace, deployment: Deployment, ours_url: str, ours_pid: int,
              bare_url: str, bare_pid: int) -> Figures:
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        people = {s.seat_id: Person(s, "") for r in deployment.rooms for s in r.seats}
        node_of = {}
        for i, room in enumerate(deployment.rooms):
            node_of[room.meeting_id] = f"bench-node-{i // args.rooms_per_node}"
        for p in people.values():
            p.node = node_of[p.seat.meeting_id]

        load = Load(http)
        for name, credential in deployment.nodes.items():
            await load.connect_node(ours_url, name, {"node": name, "credential": credential})
        loop = asyncio.get_running_loop()
        start = loop.time() + 0.5
        gap = 1.0 / args.join_rate
        began = time.monotonic()
        outcomes = await asyncio.gather(*(
            join_room(load, ours_url, deployment, room, people,
                      [start + (i * 4 + k) * gap for k in range(4)])
            for i, room in enumerate(deployment.rooms)
        ), return_exceptions=True)
        failed = [o for o in outcomes if isinstance(o, BaseException)]
        if failed:
            await disconnect_all(load, people.values())
            raise BenchError(f"{len(failed)} of {len(outcomes)} meetings did not fill "
                             f"(first: {failed[0]!r}); the server is overloaded at "
                             f"{args.join_rate:.0f} arrivals/s: try a lower --join-rate")
        print(f"{len(people)} participants joined in {time.monotonic() - began:.1f} s "
              f"(arrivals {args.join_rate:.0f}/s)", flush=True)
        records = httpx.get(f"{ours_url}/__bench/timings", timeout=30).json()
        parties, hosts, steps = server_join_times(records, people, load.node_sids)
        httpx.post(f"{ours_url}/__bench/untime", timeout=30)

        everyone = list(people.values())
        ours = RelayTotals("odr", ours_pid)
        bare = RelayTotals("bare", bare_pid)
        ours_load, bare_load = load, Load(http)
        bare_people = [Person(p.seat, p.node) for p in everyone]
        for name in deployment.nodes:
            await bare_load.connect_node(bare_url, name, {"node": name})
        sem = asyncio.Semaphore(50)

        async def bare_connect(p: Person) -> None:
            async with sem:
                p.client = bare_load.client()
                await bare_load.connect(p.client, bare_url, {"via": p.node})

        await asyncio.gather(*(bare_connect(p) for p in bare_people))
        for tload, group in ((ours_load, everyone), (bare_load, bare_people)):
            await relay_slice(tload, group, args.warmup, args.sender_rate)  # warm-up, not counted
        sampler = CpuSampler()
        for i in range(args.rounds):
            order = [(ours, ours_load, everyone), (bare, bare_load, bare_people)]
            for target, tload, group in (order if i % 2 == 0 else order[::-1]):
                await measure(tload, group, target, args.slice, args.sender_rate)
        busy = sampler.busy()
        await disconnect_all(ours_load, everyone)
        await disconnect_all(bare_load, bare_people)
    return Figures(parties, hosts, [p.joined_ms for p in everyone if not p.seat.host], steps,
                   ours, bare, busy)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--participants", type=int, default=2000, help="a multiple of 4")
    parser.add_argument("--smoke", action="store_true", help="40 participants, short slices (CI)")
    parser.add_argument("--join-rate", type=float, default=20.0,
                        help="arrivals per second (2,000 participants arrive in 100 s)")
    parser.add_argument("--sender-rate", type=float, default=15.0,
                        help="candidates per second per participant at most")
    parser.add_argument("--rooms-per-node", type=int, default=50)
    parser.add_argument("--slice", type=float, help="seconds of one measured relay slice")
    parser.add_argument("--rounds", type=int, help="measured relay slices per server")
    parser.add_argument("--warmup", type=float, help="relay warm-up seconds per server")
    args = parser.parse_args(argv)
    if args.smoke:
        args.participants = 40
        args.join_rate = min(args.join_rate, 40.0)
    args.slice = args.slice or (1.0 if args.smoke else 5.0)
    args.rounds = args.rounds or (2 if args.smoke else 3)
    args.warmup = args.warmup if args.warmup is not None else (0.5 if args.smoke else 3.0)
    if args.participants < 4 or args.participants % 4:
        parser.error("--participants must be a positive multiple of 4 (rooms of four)")

    allowed = sorted(os.sched_getaffinity(0))
    cpus = (allowed[0], allowed[1] if len(allowed) > 1 else allowed[0])
    if len(allowed) < 2:
        print("warning: one CPU only; server and load generator share it", file=sys.stderr)
    var_dir = Path(tempfile.mkdtemp(prefix="odr-bench-signaling-"))
    try:
        deployment = asyncio.run(prepare(var_dir, args.participants, args.rooms_per_node))
        print(f"{args.participants} participants in {len(deployment.rooms)} mediation meetings of 4, "
              f"{len(deployment.nodes)} media node(s); database SQLite (the embedded default: "
              f"one process needs no PostgreSQL or Redis); server on cpu{cpus[0]}, load "
              f"generator on cpu{cpus[1]}; load average {os.getloadavg()[0]:.2f}", flush=True)
        with contextlib.ExitStack() as stack:
            ours_port, bare_port = free_port(), free_port()
            ours = stack.enter_context(pinned_uvicorn(
                "bench.signaling_server:app", port=ours_port, cpu=cpus[0], env=deployment.env,
                factory=True))
            bare = stack.enter_context(pinned_uvicorn(
                "bench.signaling_bare:app", port=bare_port, cpu=cpus[0], env={}))
            ours_url, bare_url = f"http://127.0.0.1:{ours_port}", f"http://127.0.0.1:{bare_port}"
            wait_ready(ours_url, ours)
            wait_ready(bare_url, bare)
            os.sched_setaffinity(0, {cpus[1]})
            with contextlib.suppress(ImportError):
                import uvloop

                uvloop.install()
            figures = asyncio.run(run(args, deployment, ours_url, ours.pid, bare_url, bare.pid))
            for proc in (ours, bare):
                if proc.poll() is not None:
                    raise BenchError(f"a server exited during the run ({proc.returncode})")
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(var_dir, ignore_errors=True)

    f = figures
    p50, p99 = percentile(f.join_ms, 50), percentile(f.join_ms, 99)
    print(f"join (server time: connect, entry code, warning, admit -> roster), {len(f.join_ms)} "
          f"parties: p50 {p50:.1f} ms  p99 {p99:.1f} ms  max {max(f.join_ms):.1f} ms")
    for step, values in f.steps_ms.items():
        print(f"  {step:>18}: p50 {percentile(values, 50):6.1f} ms  p99 "
              f"{percentile(values, 99):6.1f} ms  ({len(values)})")
    print(f"hosts (connect, straight in): p50 {percentile(f.host_ms, 50):.1f} ms  "
          f"p99 {percentile(f.host_ms, 99):.1f} ms")
    print(f"join as the clients saw it (load generator's reactions included): p50 "
          f"{percentile(f.client_ms, 50):.1f} ms  p99 {percentile(f.client_ms, 99):.1f} ms")
    f.ours.show()
    f.bare.show()
    overhead = f.bare.per_cpu_second / f.ours.per_cpu_second if f.ours.per_cpu_second else float("inf")
    print("busy over the relay slices: " + " ".join(f"cpu{i} {b:.0f}%" for i, b in enumerate(f.busy))
          + f"; load average {os.getloadavg()[0]:.2f}")
    print(f"relay_overhead (bare / odr, per server CPU second): {overhead:.2f} (goal <= 1.5); "
          f"join p99 {p99:.1f} ms (goal < 100)")
    if f.ours.refused or f.bare.refused:
        print(f"warning: {f.ours.refused + f.bare.refused} candidates refused", file=sys.stderr)
    print(json.dumps({
        "bench": "signaling",
        "participants": args.participants,
        "join_p50_ms": round(p50, 2),
        "join_p99_ms": round(p99, 2),
        "relay_overhead": round(overhead, 3),
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
