"""Failures: exit status (DESIGN 5), the one stderr line, and what the
server saw (never AUTH without verified TLS)."""
import time

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, error_line, show, words_in


def test_wrong_password(make_server, config_for, run):
    srv = make_server("smtps", password="the-right-one")
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 77)
    line = error_line(r)
    words_in(line, "AUTH", "535")
    srv.settle()
    assert srv.messages == []
    assert R.PASSWORD not in r.stderr.decode("utf-8", "replace")


def test_wrong_password_login(make_server, config_for, run):
    srv = make_server("smtps", password="the-right-one",
                      auth_mechanisms=("LOGIN",))
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 77)
    words_in(error_line(r), "AUTH", "535")
    assert srv.messages == []


def test_connection_refused(closed_port, certs, write_config, run):
    cfg = write_config(R.account(None, certs, port=closed_port))
    t0 = time.monotonic()
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 75)
    words_in(error_line(r), "connect", ("refused", "ECONNREFUSED"))
    assert time.monotonic() - t0 < 5


def test_silent_server_times_out(silent_port, certs, write_config, run):
    """The server accepts TCP and says nothing: timeout = 1 must end it."""
    cfg = write_config(R.account(None, certs, port=silent_port, timeout=1))
    t0 = time.monotonic()
    r = run(["a@x.org"], SIMPLE, cfg, timeout=20)
    took = time.monotonic() - t0
    assert_exit(r, 75)
    words_in(error_line(r), ("timeout", "timed out"))
    assert took < 8, "took %.1fs with timeout = 1" % took


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
@pytest.mark.parametrize("cert", ["untrusted", "wrongname"])
def test_certificate_refused(make_server, config_for, run, mode, cert):
    """untrusted: self-signed; wrongname: signed by the trusted CA but for
    another host name.  Either way: 69, and AUTH never reaches the server."""
    srv = make_server(mode, cert=cert)
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 69)
    words_in(error_line(r), ("certificate", "verif", "hostname", "host name"))
    srv.settle()
    assert srv.auth_commands() == []
    assert srv.messages == []
    if mode == "smtps":
        # the handshake failed: the server saw no SMTP command at all
        assert srv.commands == []
    else:
        assert srv.verbs() == ["EHLO", "STARTTLS"], srv.commands


def test_starttls_not_offered(make_server, config_for, run):
    """A server (or a man in the middle) that offers no STARTTLS but does
    advertise AUTH: 69, and no AUTH is ever sent in clear."""
    srv = make_server("plain-no-starttls")
    r = run(["a@x.org"], SIMPLE, config_for(srv, tls="starttls"))
    assert_exit(r, 69)
    words_in(error_line(r), "STARTTLS")
    srv.settle()
    assert srv.connections == 1
    assert srv.auth_commands() == [], srv.commands
    assert "MAIL" not in srv.verbs()
    assert srv.messages == []


def test_starttls_refused_by_server(make_server, config_for, run):
    """STARTTLS offered, then refused with a 4xx: try later (75), and never
    carry on in clear."""
    srv = make_server("starttls",
                      replies={"STARTTLS": "454 4.7.0 TLS not available"})
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 75)
    words_in(error_line(r), "STARTTLS", "454")
    srv.settle()
    assert srv.auth_commands() == []
    assert "MAIL" not in srv.verbs()


def test_smtps_against_plaintext_server(make_server, config_for, run):
    """tls = smtps but the server speaks plain SMTP: no fallback, no AUTH."""
    srv = make_server("plain-no-starttls")
    r = run(["a@x.org"], SIMPLE, config_for(srv, tls="smtps"))
    assert r.returncode in (69, 76, 75), show(r)
    error_line(r)
    srv.settle()
    assert srv.auth_commands() == []
    assert srv.messages == []


@pytest.mark.parametrize("stage,reply", [
    ("MAIL", "451 4.3.0 mail from: try later"),
    ("RCPT", "450 4.2.0 mailbox busy"),
    ("DATA", "451 4.3.0 data: try later"),
])
def test_4xx_is_tempfail(make_server, config_for, run, stage, reply):
    srv = make_server("smtps", replies={stage: reply})
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 75)
    words_in(error_line(r), reply[:3])
    srv.settle()
    assert srv.messages == []


@pytest.mark.parametrize("stage,reply", [
    ("MAIL", "553 5.7.1 sender not allowed"),
    ("DATA", "554 5.6.0 message refused"),
])
def test_5xx_is_unavailable(make_server, config_for, run, stage, reply):
    srv = make_server("smtps", replies={stage: reply})
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 69)
    words_in(error_line(r), reply[:3])


def test_rcpt_unknown_user_is_nouser(make_server, config_for, run):
    """DESIGN 5: 5xx with 5.1.x to RCPT -> 67 EX_NOUSER."""
    srv = make_server("smtps", replies={"RCPT": "550 5.1.1 no such user"})
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 67)
    words_in(error_line(r), "RCPT", "550")


def test_one_refused_recipient_means_no_delivery(make_server, config_for,
                                                 run):
    """DESIGN 4: all recipients or none; the error names the refused one."""
    srv = make_server("smtps", replies={
        "RCPT": lambda a: "550 5.1.1 no such user" if a == "bad@x.org"
        else None})
    r = run(["a@x.org", "bad@x.org", "c@x.org"], SIMPLE, config_for(srv))
    assert r.returncode != 0, show(r)
    words_in(error_line(r), "bad@x.org", "550")
    srv.settle()
    assert srv.messages == []


@pytest.mark.parametrize("rcpt", [
    "a@x.org\r\nRCPT TO:<evil@x.org>",
    "a@x.org>\nDATA",
    "<a@x.org",
    "a@x.org\tRCPT",
])
def test_bad_address_refused_before_connecting(smtps, config_for, run, rcpt):
    """No SMTP command injection: 65 and the server is never contacted."""
    r = run([rcpt], SIMPLE, config_for(smtps))
    assert_exit(r, 65)
    error_line(r)
    smtps.settle()
    assert smtps.connections == 0
    assert not any(b"evil" in c for c in smtps.commands)


def test_bad_address_in_header_with_t(smtps, config_for, run):
    msg = (b"From: joe@example.org\nTo: a@x.org, <unbalanced@x.org\n"
           b"Subject: s\n\nbody\n")
    r = run(["-t"], msg, config_for(smtps))
    assert_exit(r, 65)
    error_line(r)
    smtps.settle()
    assert smtps.messages == []


def test_nul_in_headers_is_dataerr(smtps, config_for, run):
    msg = b"From: joe@example.org\nSubject: a\0b\n\nbody\n"
    r = run(["a@x.org"], msg, config_for(smtps))
    assert_exit(r, 65)
    error_line(r)
    smtps.settle()
    assert smtps.messages == []


@pytest.mark.parametrize("greeting,code", [
    ("421 4.3.2 too busy, try later", 75),
    ("554 5.3.2 no service for you", 69),
])
def test_greeting_refusal(make_server, config_for, run, greeting, code):
    srv = make_server("smtps", replies={"GREETING": greeting})
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, code)
    words_in(error_line(r), greeting[:3])
    srv.settle()
    assert srv.auth_commands() == []


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_connection_dropped_at_greeting(make_server, config_for, run, mode):
    srv = make_server(mode, replies={"GREETING": "DROP"})
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 75)
    error_line(r)


def test_connection_dropped_after_data_is_not_success(make_server,
                                                      config_for, run):
    """Never claim a delivery that did not happen (DESIGN 1): the server
    got the data but closed the connection without the final 250."""
    srv = make_server("smtps", replies={"DATA": "DROP"})
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 75)
    error_line(r)
