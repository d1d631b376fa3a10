"""Matrix rows F (SSRF and user-supplied URLs): ``provnews scrape`` and the egress guard.

The "internal" server stands in for an internal service: every test asserts it got
no request at all.
"""

from __future__ import annotations

import ipaddress

import pytest

from crawler.fetching.egress import (
    Allowlist,
    EgressGuardResolver,
    check_address,
    check_url,
    parse_ip_literal,
)
from tests.conftest import run_cli
from tests.faults.conftest import run_crawl
from tests.faults.evil import InternalServer

BLOCKED = {
    "127.0.0.1": "loopback", "10.1.2.3": "private", "172.16.0.1": "private", "192.168.1.1": "private",
    "169.254.169.254": "link_local", "100.100.100.200": "cgnat", "0.0.0.0": "this_network",
    "0.1.2.3": "this_network", "224.0.0.1": "multicast", "240.0.0.1": "reserved",
    "255.255.255.255": "reserved", "192.0.0.8": "ietf_protocol", "198.18.0.1": "benchmarking",
    "::": "unspecified", "::1": "loopback", "fc00::1": "private", "fd12:3456::1": "private",
    "fe80::1": "link_local", "ff02::1": "multicast",
    "::ffff:127.0.0.1": "loopback (ipv4 in ipv6)", "::ffff:10.0.0.1": "private (ipv4 in ipv6)",
    "64:ff9b::7f00:1": "loopback (ipv4 in ipv6)", "2002:7f00:1::": "loopback (ipv4 in ipv6)",
}


@pytest.mark.parametrize("address,why", sorted(BLOCKED.items()))
def test_check_address_blocks(address, why):
    assert check_address(address) == why


@pytest.mark.parametrize("address", ["1.1.1.1", "203.113.131.1", "2001:4860:4860::8888", "::ffff:1.1.1.1"])
def test_check_address_allows_public(address):
    assert check_address(address) is None


@pytest.mark.parametrize("host", ["2130706433", "0177.0.0.1", "127.1", "0x7f000001", "0x7f.1",
                                  "[::ffff:127.0.0.1]", "[::1]", "127.0.0.1"])
def test_encoded_loopback_literals_are_recognised(host):
    addr = parse_ip_literal(host)
    assert addr is not None and check_address(addr).startswith("loopback")


def test_host_names_are_not_literals():
    assert parse_ip_literal("baolangson.vn") is None
    assert parse_ip_literal("deadbeef") is None
    assert parse_ip_literal("1e100.net") is None


@pytest.mark.parametrize("url,reason", [
    ("file:///etc/passwd", "bad_scheme"), ("ftp://example.com/", "bad_scheme"),
    ("gopher://example.com/", "bad_scheme"), ("data:text/html,hi", "bad_scheme"),
    ("http://example.com:6379/", "blocked_port"), ("http://2130706433/", "blocked_address"),
    ("http://[::ffff:127.0.0.1]/", "blocked_address"), ("https://169.254.169.254/latest/", "blocked_address"),
])
def test_check_url_refuses(url, reason):
    assert check_url(url).reason == reason


def test_check_url_allows_public_and_allowlisted():
    assert check_url("https://baolangson.vn/a.html") is None
    allow = Allowlist.parse(["127.0.0.1:8080"])
    assert check_url("http://127.0.0.1:8080/x", allow=allow) is None
    assert check_url("http://127.0.0.1:8081/x", allow=allow).reason == "blocked_address"


def test_resolver_refuses_a_mixed_answer():
    guard = EgressGuardResolver(reactor=None, allow=Allowlist.parse(["127.0.0.1"]))
    assert guard.check("x.test", 80, ["127.0.0.1"]) is None
    assert "127.0.0.2" in guard.check("x.test", 80, ["127.0.0.1", "127.0.0.2"])
    assert guard.check("x.test", 80, ["93.184.215.14"]) is None


# --- through the CLI ----------------------------------------------------------------

def _db(tmp_path):
    return f"sqlite:///{tmp_path / 'provnews.db'}"


@pytest.mark.parametrize("form", ["127.0.0.1", "2130706433", "0177.0.0.1", "127.1", "[::ffff:127.0.0.1]",
                                  "0x7f000001"])
def test_f1_f2_loopback_in_any_spelling_is_refused(tmp_path, internal, form):
    r = run_cli("scrape", f"http://{form}:{internal.port}/secret", "--db", _db(tmp_path))
    assert r.returncode == 6, r.stderr
    assert "refused" in r.stderr and "loopback" in r.stderr
    assert internal.total == 0


@pytest.mark.parametrize("url", ["http://10.0.0.1/", "http://169.254.169.254/latest/meta-data/",
                                 "http://[::1]/", "http://0.0.0.0/", "file:///etc/passwd",
                                 "gopher://example.com/", "http://example.com:6379/"])
def test_f1_f5_private_addresses_schemes_and_ports_are_refused(tmp_path, url):
    r = run_cli("scrape", url, "--db", _db(tmp_path))
    assert r.returncode == 6, r.stderr
    assert "refused" in r.stderr


def test_f3_redirect_to_loopback_is_refused(tmp_path, evil, internal):
    target = f"http://127.0.0.1:{internal.port}/secret"
    before = evil.count("127.0.0.1", "/to")  # the server lives for the session
    r = run_cli("scrape", f"http://127.0.0.1:{evil.port}/to?loc={target}", "--db", _db(tmp_path),
                env={"PROVNEWS_EGRESS_ALLOW": f"127.0.0.1:{evil.port}"})
    assert r.returncode == 6, r.stderr
    assert "blocked_redirect" in r.stderr
    assert internal.total == 0
    assert evil.count("127.0.0.1", "/to") - before == 1


def test_f3_redirect_to_a_name_resolving_to_loopback_is_refused_at_connect(tmp_path, evil, internal):
    """``localhost`` is no literal: the middleware lets it through, the resolver refuses it."""
    target = f"http://localhost:{internal.port}/secret"
    r = run_crawl(tmp_path, urls=[f"http://127.0.0.1:{evil.port}/to?loc={target}"], user_urls=True,
                  settings={"PROVNEWS_EGRESS_PORTS": [], "PROVNEWS_EGRESS_ALLOW": [f"127.0.0.1:{evil.port}"]})
    # The hop's robots.txt is refused too (the same connection check), then the hop itself.
    assert r.errors() == {"blocked_address": 1, "blocked_redirect": 1}
    assert "localhost resolves to 127.0.0.1, a loopback address" in r.log
    assert internal.total == 0


def test_f4_dns_rebinding_connects_only_to_checked_addresses(tmp_path, evil, monkeypatch):
    twin = InternalServer("127.0.0.2", evil.port).start()       # same port, the "internal" address
    log = tmp_path / "dns.log"
    monkeypatch.setenv("FAULTS_DNS_LOG", str(log))
    try:
        r = run_crawl(tmp_path, urls=[f"http://rebind.test:{evil.port}/art/r{i}.html" for i in (1, 2)],
                      user_urls=True, settings={
                          "TWISTED_DNS_RESOLVER": "tests.faults.fakedns.RebindingResolver",
                          "PROVNEWS_EGRESS_ALLOW": [f"127.0.0.1:{evil.port}"], "RETRY_TIMES": 0,
                          "PROVNEWS_EGRESS_PORTS": []})
    finally:
        twin.stop()
    lines = log.read_text().splitlines()
    assert twin.total == 0
    assert [l for l in lines if l.startswith("connect")] == ["connect rebind.test 127.0.0.1"]
    assert "lookup rebind.test 127.0.0.2" in lines
    assert r.errors() == {"blocked_address": 2}
    assert r.stored == []


def test_f6_proxy_variables_are_ignored_on_the_scrape_path(tmp_path, evil, internal):
    proxy = f"http://127.0.0.1:{internal.port}"
    r = run_cli("scrape", f"http://127.0.0.1:{evil.port}/art/f6.html", "--db", _db(tmp_path),
                env={"PROVNEWS_EGRESS_ALLOW": f"127.0.0.1:{evil.port}", "http_proxy": proxy,
                     "HTTP_PROXY": proxy, "https_proxy": proxy})
    assert r.returncode == 0, r.stderr
    assert internal.total == 0
    assert evil.count("127.0.0.1", "/art/f6.html") == 1


def test_allow_private_lifts_the_guard(tmp_path, evil):
    r = run_cli("scrape", f"http://127.0.0.1:{evil.port}/art/priv.html", "--allow-private", "--db", _db(tmp_path))
    assert r.returncode == 0, r.stderr
    assert evil.count("127.0.0.1", "/art/priv.html") == 1


def test_allow_private_keeps_the_scheme_check(tmp_path):
    r = run_cli("scrape", "file:///etc/passwd", "--allow-private", "--db", _db(tmp_path))
    assert r.returncode == 6


@pytest.mark.slow  # three scrape subprocesses (~5 s)
def test_mirror_mode_checks_the_real_url_not_the_mirror_origin(tmp_path, evil, internal):
    ok = run_cli("scrape", "https://mirror-ok.test/art/m1.html", "--mirror", evil.url, "--db", _db(tmp_path))
    assert ok.returncode == 0, ok.stderr                        # the loopback mirror itself is fine
    assert evil.count("mirror-ok.test", "/art/m1.html") == 1
    bad = run_cli("scrape", f"http://127.1:{internal.port}/secret", "--mirror", evil.url, "--db", _db(tmp_path))
    assert bad.returncode == 6
    assert internal.total == 0
    redirect = run_cli("scrape", "https://mirror-ok.test/to?loc=http://10.0.0.1/x", "--mirror", evil.url,
                       "--db", _db(tmp_path))
    assert redirect.returncode == 6, redirect.stderr
    assert "blocked_redirect" in redirect.stderr


def test_ipaddress_sanity():
    assert ipaddress.ip_address("100.64.0.1").is_global is False
