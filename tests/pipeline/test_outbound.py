"""The outbound policy's rules, one by one (addresses, hosts, redirect headers)."""

from __future__ import annotations

import pytest

from pipeline.outbound import AddressPolicy, Hosts, Refused, check_url, redirect_headers, refusal


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.1.2.3", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:169.254.169.254",  # IPv4-mapped
    "::127.0.0.1",  # IPv4-compatible (deprecated form)
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",  # NAT64 well-known prefix → 127.0.0.1, 169.254.169.254
    "64:ff9b:1::808:808",  # local-use NAT64 prefix
    "2002:7f00:1::1", "2002:a9fe:a9fe::",  # 6to4 → 127.0.0.1, 169.254.169.254
    "2001:0:4136:e378:8000:63bf:80ff:fffe",  # Teredo, client 127.0.0.1 (stored inverted)
])
def test_internal_addresses_and_their_embedded_forms_are_refused(address: str) -> None:
    assert refusal(address) is not None, address


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.216.34", "2606:4700::1111", "64:ff9b::808:808",
                                     "2002:808:808::1", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert refusal(address) is None, address


def test_a_name_with_one_internal_answer_is_refused_whole() -> None:
    policy = AddressPolicy(resolver=lambda host, port: ["93.184.216.34", "10.0.0.7"])
    with pytest.raises(Refused, match=r"10\.0\.0\.7"):
        policy.addresses("mixed.example", 443)
    assert AddressPolicy(allow_private=True, resolver=lambda h, p: ["10.0.0.7"]).addresses("x", 80) == ["10.0.0.7"]


def test_hosts_of_a_source() -> None:
    hosts = Hosts.for_url("http://www.example.com/rss", ["cna.com.tw"])
    assert hosts.allows("https://www.example.com/a")  # http → https upgrade
    assert hosts.allows("https://example.com/a") and hosts.allows("https://feeds.example.com/a")  # www. parent
    assert hosts.allows("https://www.cna.com.tw/news/1")  # the outlet's domains
    assert not hosts.allows("https://example.com.evil.net/")
    assert not hosts.allows("http://www.example.com:8080/")  # another port is another service
    assert not hosts.allows("ftp://www.example.com/")
    local = Hosts.for_url("http://127.0.0.1:8001/feed")
    assert local.allows("http://127.0.0.1:8001/x") and not local.allows("http://127.0.0.1:8002/x")
    assert not local.allows("http://localhost:8001/x")
    with pytest.raises(Refused, match="only http"):
        check_url("file:///etc/passwd", None)
    with pytest.raises(Refused, match=r"redirect to another host \(evil\.net\)"):
        check_url("https://evil.net/", hosts)


def test_credentials_never_follow_a_redirect_to_another_origin() -> None:
    sent = {"Authorization": "Bearer t", "Cookie": "over18=1", "X-goog-api-key": "k", "Accept": "*/*"}
    assert redirect_headers(sent, "https://a.example/x", "https://a.example/y") == sent
    assert redirect_headers(sent, "https://a.example/x", "https://b.example/y") == {"Accept": "*/*"}
    assert redirect_headers(sent, "https://a.example/x", "http://a.example/y") == {"Accept": "*/*"}  # downgrade
    assert redirect_headers(sent, "https://a.example/x", "https://a.example:8443/y") == {"Accept": "*/*"}
