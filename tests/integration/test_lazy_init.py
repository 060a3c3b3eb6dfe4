"""Work stamp no longer does at start-up (issue 5, CPU per message), and
what must still hold: OpenSSL's error strings are loaded only when one is
printed (tls.c), yet every message still has its reason in words, from
the X509 and the SSL libraries alike.  (libsecret loaded only when the
keyring is asked: test_secret.py.)"""
import pytest

from stamptest.checks import SIMPLE, assert_exit, error_line
from test_tls import alerting_server  # noqa: F401 (a fixture)


def test_x509_reason_in_words(smtps, config_for, run, tmp_path):
    bad = tmp_path / "garbage.pem"
    bad.write_text("not a certificate\n")
    r = run(["a@x.org"], SIMPLE, config_for(smtps, tls_trust_file=str(bad)))
    assert_exit(r, 78)
    assert error_line(r) == ("stamp: cannot load tls_trust_file %s: no "
                             "certificate or crl found" % bad)
    smtps.settle()
    assert smtps.connections == 0


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_ssl_reason_in_words(alerting_server, config_for, run,  # noqa: F811
                             mode):
    """The server's alert (TLS 1.2: during the handshake), named by
    libssl's own string, which was not loaded before the failure."""
    srv = alerting_server(mode, client_ca=True, max_version="TLSv1_2")
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 69)
    line = error_line(r)
    assert "requires a TLS client certificate (" in line, line
    assert "alert handshake failure)" in line or \
        "alert certificate required)" in line, line
    assert "unknown error" not in line
