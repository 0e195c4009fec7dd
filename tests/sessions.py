"""Viewers without a browser: each `Viewer` holds one real Streamlit session over the websocket
the browser uses (/_stcore/stream, protobuf messages), so that tens of them can run at once on
a small machine. Used by the load test, the nginx test and benchmarks/load.py.

A viewer changes the shared filters the way the sidebar does (it sends the widgets' values)
and checks what the server answers: the URL the app writes must carry this viewer's own
filters, and no run may end in an exception. A session that saw another's filters would
fail that check.
"""

from __future__ import annotations

import asyncio
import random
import ssl
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# Widget keys of the shared filters (georisk.app) and the URL parameter each one writes.
FILTER_WIDGETS = {"filter.sector": "sector", "filter.region": "region", "filter.actor": "actor"}
ASOF_WIDGET = "filter.asof"
# The widgets a viewer can read back from a run, by their element type.
KNOWN_WIDGETS = ("multiselect", "date_input", "slider", "download_button")


@dataclass
class Run:
    """What one script run sent back."""

    seconds: float
    query: dict[str, list[str]]
    exceptions: list[str]
    status: str
    opened: bool = False  # the first run of a connection (a page load), not a change


@dataclass
class Viewer:
    url: str  # the app's base URL, http://host:port
    headers: dict[str, str] = field(default_factory=dict)
    pages: dict[str, str] = field(default_factory=dict)  # page name -> script hash
    widgets: dict[str, object] = field(default_factory=dict)  # key -> the widget's proto
    runs: list[Run] = field(default_factory=list)
    # Answers to file requests (request id -> the file's URL, or the error the server sent).
    files: dict[str, tuple[str, str]] = field(default_factory=dict)
    session_id: str = ""
    query: str = ""  # the page's URL query, as the app last wrote it; sent back on every rerun
    tls: ssl.SSLContext | None = None  # for https URLs (the nginx test's self-signed certificate)
    connect_to: tuple[str, int] | None = None  # reach the URL's host name at this address
    _socket: websockets.ClientConnection | None = None

    async def open(self, query: str = "", resume: bool = False) -> Run:
        """Connect and run the page; with `resume`, ask the server for the session this viewer
        had before (as the browser does after a network drop): only its own process has it."""
        address = self.url.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
        # The browser offers "streamlit", then an XSRF token, then the session to resume.
        offered = ["streamlit", "noxsrf", self.session_id] if resume else ["streamlit"]
        self._socket = await websockets.connect(
            address,
            subprotocols=offered,
            max_size=None,
            ping_interval=None,  # a browser sends no pings; the frontend's heartbeat is HTTP
            additional_headers=self.headers,
            ssl=self.tls if address.startswith("wss") else None,
            **({"host": self.connect_to[0], "port": self.connect_to[1]} if self.connect_to else {}),
        )
        message = BackMsg()
        message.rerun_script.query_string = query if query or not resume else self.query
        return await self._run(message, opened=True)

    async def close(self) -> None:
        if self._socket is not None:
            await self._socket.close()

    async def show(self, page: str, query: str = "") -> Run:
        """Switch page, as a page link does."""
        message = BackMsg()
        message.rerun_script.page_script_hash = self.pages[page]
        message.rerun_script.query_string = query
        return await self._run(message)

    async def set_filters(self, values: dict[str, list[str]], asof: str | None = None) -> Run:
        """Send the filter widgets' values, as the sidebar does when one of them changes."""
        message = BackMsg()
        message.rerun_script.query_string = self.query
        states = message.rerun_script.widget_states
        for key, chosen in values.items():
            widget = states.widgets.add()
            widget.id = self.widgets[key].id
            widget.string_array_value.data.extend(chosen)
        if asof is not None:
            widget = states.widgets.add()
            widget.id = self.widgets[ASOF_WIDGET].id
            widget.string_array_value.data.append(asof)
        return await self._run(message)

    async def rerun(self) -> Run:
        """Run the page again with nothing changed, from its current URL."""
        message = BackMsg()
        message.rerun_script.query_string = self.query
        return await self._run(message)

    async def set_sliders(self, values: dict[str, float]) -> Run:
        """Move sliders (e.g. the model's "model.radius"), as dragging them does."""
        message = BackMsg()
        message.rerun_script.query_string = self.query
        for key, value in values.items():
            widget = message.rerun_script.widget_states.widgets.add()
            widget.id = self.widgets[key].id
            widget.double_array_value.data.append(value)
        return await self._run(message)

    async def ask_file(self, key: str, file_id: str = "") -> str:
        """Click a download button whose file is made on click (a callable `data`): ask the
        server for the file of its latest run (or for `file_id`, as a client that kept an old
        one may) and return the request's id at once, without waiting for the answer (a later
        run or `file_answer` reads it)."""
        request_id = f"{key}-{time.perf_counter_ns()}"
        message = BackMsg()
        message.backend_operation_request.request_id = request_id
        message.backend_operation_request.session_id = self.session_id
        message.backend_operation_request.deferred_file.file_id = (
            file_id or self.widgets[key].deferred_file_id
        )
        await self._socket.send(message.SerializeToString())
        return request_id

    async def file_answer(self, request_id: str, timeout: float = 180) -> tuple[str, str]:
        """(url, error) the server answered to a file request; waits for it."""
        deadline = time.monotonic() + timeout
        while request_id not in self.files:
            forward = ForwardMsg()
            forward.ParseFromString(
                await asyncio.wait_for(self._socket.recv(), max(0.1, deadline - time.monotonic()))
            )
            self._note_file(forward)
        return self.files[request_id]

    def _note_file(self, forward: ForwardMsg) -> None:
        if forward.WhichOneof("type") == "backend_operation_response":
            answer = forward.backend_operation_response
            self.files[answer.request_id] = (answer.deferred_file.url, answer.error_msg)

    async def clear_caches(self) -> None:
        """The message any viewer may send: clear every st.cache_data and st.cache_resource."""
        message = BackMsg()
        message.clear_cache = True
        await self._socket.send(message.SerializeToString())

    async def _run(self, message: BackMsg, opened: bool = False) -> Run:
        started = time.perf_counter()
        await self._socket.send(message.SerializeToString())
        query, exceptions = self.query, []
        while True:
            forward = ForwardMsg()
            forward.ParseFromString(await self._socket.recv())
            kind = forward.WhichOneof("type")
            self._note_file(forward)
            if kind == "new_session" and forward.new_session.HasField("initialize"):
                self.session_id = forward.new_session.initialize.session_id
            elif kind == "navigation":
                self.pages = {p.page_name: p.page_script_hash for p in forward.navigation.app_pages}
            elif kind == "page_info_changed":
                query = self.query = forward.page_info_changed.query_string
            elif kind == "delta" and forward.delta.WhichOneof("type") == "new_element":
                element = forward.delta.new_element
                name = element.WhichOneof("type")
                if name == "exception":
                    exceptions.append(f"{element.exception.type}: {element.exception.message}")
                elif name in KNOWN_WIDGETS:
                    proto = getattr(element, name)
                    self.widgets[proto.id.rsplit("-", 1)[-1]] = proto
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(forward.script_finished)
                if status == "FINISHED_FRAGMENT_RUN_SUCCESSFULLY":
                    continue  # a fragment (the map's Play control) finished, not the page
                run = Run(
                    time.perf_counter() - started, urllib.parse.parse_qs(query), exceptions, status, opened
                )
                self.runs.append(run)
                return run


@dataclass
class Tally:
    """What a crowd of viewers saw."""

    runs: list[Run] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def percentile(self, share: float, opened: bool = False) -> float:
        """Of the page loads (`opened`) or of the runs after a change."""
        values = sorted(r.seconds for r in self.runs if r.opened == opened)
        return values[min(len(values) - 1, int(share * len(values)))] if values else float("nan")


def drive(coroutine):
    """Run viewers to the end and return the result. In a thread of its own, because a test
    process may already have an event loop running (Playwright's sync API keeps one)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def check(run: Run, expected: dict[str, list[str]], who: str, tally: Tally) -> None:
    """The run must end cleanly and the URL must carry exactly this viewer's filters."""
    tally.runs.append(run)
    if run.exceptions:
        tally.problems.append(f"{who}: exception {run.exceptions[0]}")
    if run.status != "FINISHED_SUCCESSFULLY":
        tally.problems.append(f"{who}: run ended {run.status}")
    for name, values in expected.items():
        if sorted(run.query.get(name, [])) != sorted(values):
            tally.problems.append(f"{who}: URL has {name}={run.query.get(name)}, this viewer set {values}")


async def browse(viewer: Viewer, seconds: float, seed: int, tally: Tally, pause: float = 5.0) -> None:
    """One viewer for `seconds`: change a filter, sometimes switch page, check every answer.
    Between two changes the viewer reads the page for `pause` seconds on average."""
    rng = random.Random(seed)
    who = f"viewer {seed}"
    check(await viewer.open(), {}, who, tally)
    expected: dict[str, list[str]] = {}
    asof_choices = ("2014-06-30", "2015-12-31", "2016-12-15", "2017-09-30")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if rng.random() < 0.03:
            # Any viewer may clear every cache (and its own session state): the next run must
            # still show this viewer's view, rebuilt from its URL.
            await viewer.clear_caches()
            run = await viewer.rerun()
        elif rng.random() < 0.2:
            page = rng.choice(sorted(viewer.pages))
            run = await viewer.show(page, urllib.parse.urlencode(_params(expected), doseq=True))
        else:
            key = rng.choice(sorted(FILTER_WIDGETS))
            options = list(viewer.widgets[key].options)
            chosen = rng.sample(options, rng.randint(0, min(2, len(options))))
            expected[FILTER_WIDGETS[key]] = chosen
            asof = rng.choice(asof_choices)
            expected["asof"] = [asof]
            run = await viewer.set_filters({k: expected.get(v, []) for k, v in FILTER_WIDGETS.items()}, asof)
        check(run, expected, who, tally)
        await asyncio.sleep(rng.uniform(0, 2 * pause))


def _params(expected: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: values for name, values in expected.items() if values}


async def crowd(people: list[Viewer], seconds: float, pause: float = 5.0) -> Tally:
    """The viewers browsing at once for `seconds`; every error is caught and counted."""
    tally = Tally()

    async def one(index: int) -> None:
        try:
            await browse(people[index], seconds, index, tally, pause)
        except Exception as err:  # a dropped connection is a finding, not a crash of the test
            tally.problems.append(f"viewer {index}: {type(err).__name__}: {err}")
        finally:
            await people[index].close()

    await asyncio.gather(*(one(i) for i in range(len(people))))
    return tally
