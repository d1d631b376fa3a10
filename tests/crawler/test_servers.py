"""`serve` and `mirror serve`: different default ports, one line and exit 10 on a taken
port, and a mirror a browser can open."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.request import urlopen

import pytest

from crawler.cli.mirror import MIRROR_PORT
from crawler.cli.serve import API_PORT
from crawler.mirror.server import MirrorServer
from tests.conftest import run_cli


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_the_two_servers_default_to_different_ports():
    assert API_PORT != MIRROR_PORT


@pytest.mark.parametrize("command", [["serve"], ["mirror", "serve"]])
def test_a_taken_port_is_one_line_and_exit_10(command: list[str], taken_port: int):
    result = run_cli(*command, "--port", str(taken_port), timeout=60)
    assert result.returncode == 10
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert f"127.0.0.1:{taken_port}" in result.stderr and "port is taken" in result.stderr


def test_a_browser_gets_the_list_of_outlets_and_each_link_opens(mirror: MirrorServer):
    with urlopen(mirror.url + "/") as response:
        page = response.read().decode()
    assert "/site/baolangson.vn/" in page
    with urlopen(mirror.url + "/site/baolangson.vn/robots.txt") as response:
        assert response.status == 200 and b"User-agent" in response.read()
