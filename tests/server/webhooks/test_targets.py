import ipaddress

import pytest

from server.webhooks import sender, targets


@pytest.mark.parametrize(
    ("address", "refused"),
    [
        ("127.0.0.1", True),
        ("10.0.0.1", True),
        ("100.64.0.1", True),
        ("169.254.169.254", True),
        ("192.168.1.1", True),
        ("224.0.0.1", True),
        ("::1", True),
        ("fc00::1", True),
        ("fe80::1", True),
        ("::ffff:10.0.0.1", True),
        ("93.184.215.14", False),
        ("2606:2800:21f:cb07:6820:80da:af6b:8b2c", False),
    ],
)
def test_forbidden_addresses(address: str, refused: bool) -> None:
    assert targets.forbidden(ipaddress.ip_address(address)) is refused


def test_the_connection_goes_to_the_checked_address() -> None:
    https = targets.Target(
        url="https://hooks.example.com:8443/in?x=1",
        scheme="https",
        host="hooks.example.com",
        port=8443,
        address="93.184.215.14",
    )
    assert sender._pinned(https) == (
        "https://93.184.215.14:8443/in?x=1",
        {"Host": "hooks.example.com:8443"},
        "hooks.example.com",
    )
    v6 = targets.Target(
        url="http://[2606:2800::1]/in",
        scheme="http",
        host="2606:2800::1",
        port=80,
        address="2606:2800::1",
    )
    assert sender._pinned(v6) == ("http://[2606:2800::1]/in", {"Host": "[2606:2800::1]"}, None)


def test_signature_is_hmac_sha256_hex_of_the_body() -> None:
    # Known answer: HMAC-SHA256 of b"{}" with the key b"secret".
    expected = "77325902caca812dc259733aacd046b73817372c777b8d95b402647474516e13"
    assert sender.signature("secret", b"{}") == f"sha256={expected}"
