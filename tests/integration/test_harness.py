"""The harness checked on its own, without stamp: the SMTP server with
Python's smtplib, the keyring with secret-tool, the syslog capture with
logger.  If these fail, the stamp tests mean nothing."""
import os
import smtplib
import ssl

import pytest

from stamptest import run as R
from stamptest.syslog import parse_datagram, parse_log_line, run_with_syslog

MSG = b"From: a@b\r\nSubject: x\r\n\r\n.dot\r\nline\r\n.\r\n\xe9t\xc3\xa9\r\n"


def client_ctx(certs):
    return ssl.create_default_context(cafile=certs.ca_pem)


@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_server_records_a_session(make_server, certs, mode):
    srv = make_server(mode)
    if mode == "smtps":
        s = smtplib.SMTP_SSL("localhost", srv.port, context=client_ctx(certs),
                             timeout=5)
        s.ehlo("cli")
    else:
        s = smtplib.SMTP("localhost", srv.port, timeout=5)
        s.ehlo("cli")
        assert "starttls" in s.esmtp_features
        assert "auth" not in s.esmtp_features      # not before TLS
        s.starttls(context=client_ctx(certs))
        s.ehlo("cli")
    assert s.esmtp_features["auth"].split() == ["LOGIN", "PLAIN"]
    s.login(R.USER, R.PASSWORD)                   # smtplib prefers PLAIN
    s.sendmail("a@b", ["x@y", "z@w"], MSG)
    s.quit()
    assert srv.settle()
    assert srv.auth_mechanisms_used() == ["PLAIN"]
    assert srv.sessions[-1].tls_at_auth == [True]
    assert srv.sessions[-1].tls_version == "TLSv1.3"
    m, = srv.messages
    assert (m.mail_from, m.rcpt_tos) == ("a@b", ["x@y", "z@w"])
    assert m.content == MSG                      # dot-unstuffed, 8-bit intact
    assert b"..dot\r\n" in srv.sessions[-1].data_lines   # raw, stuffed
    verbs = srv.verbs()
    assert verbs[-5:] == ["MAIL", "RCPT", "RCPT", "DATA", "QUIT"]
    if mode == "starttls":
        assert verbs[:3] == ["EHLO", "STARTTLS", "EHLO"]


def test_server_wrong_password_is_535(smtps, certs):
    s = smtplib.SMTP_SSL("localhost", smtps.port, context=client_ctx(certs),
                         timeout=5)
    s.ehlo("cli")
    with pytest.raises(smtplib.SMTPAuthenticationError) as e:
        s.auth("PLAIN", lambda challenge=None: "\0joe\0wrong")
    assert e.value.smtp_code == 535
    assert e.value.smtp_error.startswith(b"5.7.8")
    s.close()


def test_server_login_only(make_server, certs):
    srv = make_server("smtps", auth_mechanisms=("LOGIN",))
    s = smtplib.SMTP_SSL("localhost", srv.port, context=client_ctx(certs),
                         timeout=5)
    s.ehlo("cli")
    assert s.esmtp_features["auth"].split() == ["LOGIN"]
    s.login(R.USER, R.PASSWORD)
    s.quit()
    srv.settle()
    assert srv.auth_mechanisms_used() == ["LOGIN"]
    assert srv.sessions[0].auth_responses      # continuation lines recorded


def test_server_plain_mode_offers_no_tls_but_baits_auth(make_server):
    srv = make_server("plain-no-starttls")
    s = smtplib.SMTP("127.0.0.1", srv.port, timeout=5)
    s.ehlo("cli")
    assert "starttls" not in s.esmtp_features
    assert "auth" in s.esmtp_features
    s.login(R.USER, R.PASSWORD)         # a client that takes the bait...
    s.quit()
    srv.settle()
    assert srv.auth_mechanisms_used() == ["PLAIN"]   # ...is caught
    assert srv.sessions[0].tls_at_auth == [False]


@pytest.mark.parametrize("cert", ["untrusted", "wrongname"])
@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_server_bad_certs_are_refused_by_a_verifying_client(
        make_server, certs, cert, mode):
    srv = make_server(mode, cert=cert)
    with pytest.raises(ssl.SSLCertVerificationError):
        if mode == "smtps":
            smtplib.SMTP_SSL("localhost", srv.port, context=client_ctx(certs),
                             timeout=5)
        else:
            s = smtplib.SMTP("localhost", srv.port, timeout=5)
            try:
                s.starttls(context=client_ctx(certs))
            finally:
                s.close()
    srv.settle()
    assert srv.auth_commands() == []
    assert srv.connections == 1


def test_server_reply_overrides(make_server, certs):
    srv = make_server("smtps", replies={"DATA": "451 4.3.0 try later"})
    s = smtplib.SMTP_SSL("localhost", srv.port, context=client_ctx(certs),
                         timeout=5)
    s.login(R.USER, R.PASSWORD)
    with pytest.raises(smtplib.SMTPDataError) as e:
        s.sendmail("a@b", ["x@y"], MSG)
    assert e.value.smtp_code == 451
    s.close()
    assert srv.messages == []


def test_keyring_store_and_lookup(keyring):
    keyring.store("harness.example", "joe", "pw with space")
    assert keyring.lookup("harness.example", "joe") == b"pw with space"
    assert keyring.lookup("harness.example", "nobody") is None
    assert set(keyring.env) == {"DBUS_SESSION_BUS_ADDRESS", "HOME"}


def test_syslog_capture_with_logger(_syslog_ok):
    r = run_with_syslog(["logger", "-t", "x", "hello"], timeout=10)
    assert r.returncode == 0
    d, = [parse_datagram(g) for g in r.syslog]
    assert (d["ident"], d["msg"], d["facility"]) == ("x", "hello", 1)
    r = run_with_syslog(["logger", "-p", "mail.err", "-t", "stamp", "-i",
                         "hello"], timeout=10)
    d = parse_datagram(r.syslog[0])
    assert (d["facility"], d["severity"], d["ident"]) == (2, 3, "stamp")
    assert d["pid"] is not None
    # the host's /dev is untouched
    assert os.path.exists("/dev/null") and os.path.isdir("/dev")


def test_syslog_pid_is_the_commands_pid(_syslog_ok):
    r = run_with_syslog(["sh", "-c", 'echo $$; logger -t t "pid=$$"'],
                        timeout=10)
    assert int(r.stdout) == r.pid
    assert parse_datagram(r.syslog[0])["msg"] == "pid=%d" % r.pid


def test_parse_log_line():
    line = ("host=localhost tls=TLSv1.3 auth=PLAIN user=joe "
            "from=joe@example.org recipients=a@x.org,b@y.org mailsize=1234 "
            "msgid=<id@x> smtpstatus=250 smtpmsg='250 2.0.0 Ok: it's queued' "
            "errormsg='' duration=0.04s exitcode=EX_OK")
    d = parse_log_line(line)
    assert d["smtpmsg"] == "250 2.0.0 Ok: it's queued"
    assert d["errormsg"] == ""
    assert d["recipients"] == "a@x.org,b@y.org"
    assert d["exitcode"] == "EX_OK"
    with pytest.raises(ValueError):
        parse_log_line("a=1 a=2")
    with pytest.raises(ValueError):
        parse_log_line("garbage here")


def test_crlf_helper():
    assert R.crlf(b"a\nb\r\nc") == b"a\r\nb\r\nc\r\n"
    assert R.crlf(b"") == b""
