"""Delivery over SMTPS and STARTTLS, and which AUTH mechanism is used."""
import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_sent, show


def test_smtps_send(smtps, config_for, run):
    r = run(["a@x.org"], SIMPLE, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))
    s, = smtps.sessions
    assert s.tls_version == "TLSv1.3"
    assert s.tls_at_auth == [True]
    verbs = smtps.verbs()
    assert verbs == ["EHLO", "AUTH", "MAIL", "RCPT", "DATA", "QUIT"], (
        smtps.commands)
    assert smtps.commands[0] == b"EHLO " + R.DOMAIN.encode() + b"\r\n"
    assert smtps.commands[2].startswith(b"MAIL FROM:<joe@example.org>")
    assert smtps.commands[3].startswith(b"RCPT TO:<a@x.org>")
    assert r.stdout == b""


def test_starttls_send(starttls, config_for, run):
    r = run(["a@x.org"], SIMPLE, config_for(starttls))
    assert_sent(r, starttls, ["a@x.org"], R.crlf(SIMPLE))
    s, = starttls.sessions
    assert s.tls_at_auth == [True]
    assert starttls.verbs() == ["EHLO", "STARTTLS", "EHLO", "AUTH", "MAIL",
                                "RCPT", "DATA", "QUIT"], starttls.commands


def test_host_as_ip_address(smtps, config_for, run):
    """The certificate's IP SAN must match host = 127.0.0.1."""
    r = run(["a@x.org"], SIMPLE, config_for(smtps, host="127.0.0.1"))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_several_argv_recipients(smtps, config_for, run):
    rcpts = ["a@x.org", "b@y.org", "c@z.org"]
    r = run(rcpts, SIMPLE, config_for(smtps))
    assert_sent(r, smtps, rcpts, R.crlf(SIMPLE))
    assert smtps.verbs().count("RCPT") == 3


def test_auth_plain_by_default(make_server, config_for, run):
    srv = make_server("smtps", auth_mechanisms=("PLAIN", "LOGIN"))
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.auth_mechanisms_used() == ["PLAIN"], srv.commands


def test_auth_login_when_only_login_offered(make_server, config_for, run):
    srv = make_server("smtps", auth_mechanisms=("LOGIN",))
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.auth_mechanisms_used() == ["LOGIN"], srv.commands


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_auth_login_forced(make_server, config_for, run, mode):
    srv = make_server(mode, auth_mechanisms=("PLAIN", "LOGIN"))
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth="login"))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert srv.auth_mechanisms_used() == ["LOGIN"], srv.commands


def test_auth_plain_forced_but_only_login_offered(make_server, config_for,
                                                  run):
    """auth = plain against a server without PLAIN: no usable mechanism
    (DESIGN 5: EX_UNAVAILABLE), and no other mechanism is tried."""
    srv = make_server("smtps", auth_mechanisms=("LOGIN",))
    r = run(["a@x.org"], SIMPLE, config_for(srv, auth="plain"))
    assert r.returncode == 69, show(r)
    srv.settle()
    assert srv.auth_mechanisms_used() in ([], ["PLAIN"]), srv.commands
    assert srv.messages == []


def test_envelope_sender_from_f(smtps, config_for, run):
    r = run(["-f", "other@example.net", "a@x.org"], SIMPLE, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE),
                mail_from="other@example.net")


def test_envelope_sender_from_r(smtps, config_for, run):
    r = run(["-r", "other@example.net", "a@x.org"], SIMPLE, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE),
                mail_from="other@example.net")


def test_account_chosen_with_a(smtps, write_config, certs, run):
    """-a picks a section other than default_account."""
    cfg = R.account(smtps, certs)
    good = dict(cfg["test"])
    cfg["test"]["port"] = 1            # default account would fail
    cfg["other"] = good
    path = write_config(cfg)
    r = run(["-a", "other", "a@x.org"], SIMPLE, path)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))
