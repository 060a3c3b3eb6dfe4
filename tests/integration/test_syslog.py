"""The log line (DESIGN 6): exactly one syslog datagram per message,
facility mail, ident stamp, msmtp's keys; checked field by field."""
import re

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit
from stamptest.syslog import LOG_MAIL, parse_datagram, parse_log_line


def the_log_line(r):
    """The one datagram stamp sent, checked, as a dict of fields."""
    assert len(r.syslog) == 1, "expected one syslog line, got %r" % r.syslog
    d = parse_datagram(r.syslog[0])
    assert d is not None, r.syslog[0]
    assert d["facility"] == LOG_MAIL, r.syslog[0]
    assert d["ident"] == "stamp", r.syslog[0]
    assert d["pid"] == r.pid, r.syslog[0]
    return parse_log_line(d["msg"])


def test_log_line_on_success(smtps, config_for, run_syslog):
    r = run_syslog(["a@x.org", "b@y.org"], SIMPLE, config_for(smtps))
    assert_exit(r, 0)
    f = the_log_line(r)
    assert f["host"] == "localhost"
    assert f["tls"] == "TLSv1.3"
    assert f["auth"] == "PLAIN"
    assert f["user"] == "joe"
    assert f["from"] == "joe@example.org"
    assert f["recipients"] == "a@x.org,b@y.org"
    assert f["mailsize"] == str(len(SIMPLE))
    assert f["msgid"] == "<simple.1@example.org>"
    assert f["smtpstatus"] == "250"
    assert f["smtpmsg"] == "250 OK"
    assert re.fullmatch(r"\d+(\.\d+)?s", f["duration"]), f["duration"]
    assert f["exitcode"] == "EX_OK"
    assert "errormsg" not in f


def test_log_line_login_and_starttls(make_server, config_for, run_syslog):
    srv = make_server("starttls", auth_mechanisms=("LOGIN",))
    r = run_syslog(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 0)
    f = the_log_line(r)
    assert (f["tls"], f["auth"], f["exitcode"]) == ("TLSv1.3", "LOGIN",
                                                     "EX_OK")


def test_log_line_mailsize_is_bytes_read(smtps, config_for, run_syslog):
    """mailsize counts stdin bytes, not the CRLF-converted, stuffed data."""
    data = SIMPLE + b".dot\n" * 10 + b"end"
    r = run_syslog(["a@x.org"], data, config_for(smtps))
    assert_exit(r, 0)
    assert the_log_line(r)["mailsize"] == str(len(data))


def test_log_line_on_wrong_password(make_server, config_for, run_syslog):
    srv = make_server("smtps", password="the-right-one")
    r = run_syslog(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 77)
    f = the_log_line(r)
    assert f["exitcode"] == "EX_NOPERM"
    assert "535" in f["errormsg"]
    assert f["smtpstatus"] == "535"
    assert f["smtpmsg"].startswith("535 5.7.8")
    assert f["host"] == "localhost"
    assert f["tls"] == "TLSv1.3"
    assert f.get("auth", "PLAIN") == "PLAIN"
    assert f["user"] == "joe"
    assert f["from"] == "joe@example.org"
    assert f["recipients"] == "a@x.org"
    assert f["mailsize"] == str(len(SIMPLE))
    assert re.fullmatch(r"\d+(\.\d+)?s", f["duration"]), f["duration"]


def test_log_line_on_connection_refused(closed_port, certs, write_config,
                                        run_syslog):
    cfg = write_config(R.account(None, certs, port=closed_port))
    r = run_syslog(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 75)
    f = the_log_line(r)
    assert f["exitcode"] == "EX_TEMPFAIL"
    assert "connect" in f["errormsg"].lower()
    assert f["host"] == "localhost"
    assert f["from"] == "joe@example.org"
    assert f["recipients"] == "a@x.org"
    assert f["mailsize"] == str(len(SIMPLE))


def test_log_line_on_certificate_failure(make_server, config_for, run_syslog):
    srv = make_server("smtps", cert="untrusted")
    r = run_syslog(["a@x.org"], SIMPLE, config_for(srv))
    assert_exit(r, 69)
    f = the_log_line(r)
    assert f["exitcode"] == "EX_UNAVAILABLE"
    assert f["errormsg"]
