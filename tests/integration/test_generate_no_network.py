"""A generate render reaches no network: URLs in templates (images, style sheets, imports) are
never fetched, by the layout or by the template. A listener on 127.0.0.1 counts connections."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pymupdf
import pytest

from docjobs.jobtypes.generate.engine import TemplateSource, generate_document
from docjobs.jobtypes.generate.options import OutputOptions


@pytest.fixture
def listener() -> Iterator[tuple[str, list[str]]]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.settimeout(0.2)
    connections: list[str] = []
    stop = threading.Event()

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, address = server.accept()
            except TimeoutError:
                continue
            connections.append(str(address))
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}", connections
    finally:
        stop.set()
        thread.join(2)
        server.close()


def test_urls_in_a_template_are_never_fetched(listener: tuple[str, list[str]]) -> None:
    url, connections = listener
    source = (
        f'<style>@import url("{url}/a.css"); body {{ background-image: url("{url}/bg.png"); }}</style>'
        f'<link rel="stylesheet" href="{url}/b.css"><img src="{url}/logo.png"><img src="{{{{ logo }}}}">'
        f'<p><a href="{url}/page">link</a></p>'
    )
    document = generate_document(
        TemplateSource(kind="html", text=source), {"logo": f"{url}/data.png"}, output=OutputOptions()
    )
    with pymupdf.open("pdf", document.content) as pdf:
        assert sum(len(page.get_images()) for page in pdf) == 0
        assert "link" in pdf[0].get_text()
    assert connections == []
