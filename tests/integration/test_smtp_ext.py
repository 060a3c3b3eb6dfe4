"""SMTP extensions on MAIL and RCPT: DSN (RFC 3461, -N -R -V), BODY=
(RFC 6152, -B and 8-bit content) and SMTPUTF8 (RFC 6531).  Each test checks
the parameters exactly as the server received them, the exit status, and the
syslog warning when the server lacks what was asked for."""
import re
import smtplib
import ssl

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, error_line, one_message, \
    show, words_in
from stamptest.syslog import LOG_MAIL, parse_datagram

LOG_WARNING = 4

UTF8_SUBJECT = ("From: Joe <joe@example.org>\n"
                "To: a@x.org\n"
                "Subject: Grüße aus Köln\n"
                "Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
                "Message-ID: <utf8.1@example.org>\n"
                "\n"
                "plain ASCII body\n").encode("utf-8")

EIGHTBIT_BODY = (b"From: Joe <joe@example.org>\n"
                 b"To: a@x.org\n"
                 b"Subject: latin-1\n"
                 b"Content-Type: text/plain; charset=iso-8859-1\n"
                 b"Content-Transfer-Encoding: 8bit\n"
                 b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
                 b"Message-ID: <latin1.1@example.org>\n"
                 b"\n"
                 + "Grüße\n".encode("latin-1"))

UTF8_RCPT = "jörg@example.org"


def params(got):
    """The parameters other than SIZE (checked to be there, as a number,
    since the server offers it)."""
    size = [p for p in got if p.upper().startswith("SIZE=")]
    assert len(size) == 1 and re.fullmatch(r"SIZE=\d+", size[0]), got
    return [p for p in got if not p.upper().startswith("SIZE=")]


def warnings_in(r):
    """The messages of the LOG_WARNING datagrams stamp sent."""
    out = []
    for g in r.syslog:
        d = parse_datagram(g)
        assert d is not None, g
        assert (d["facility"], d["ident"], d["pid"]) == (LOG_MAIL, "stamp",
                                                         r.pid), g
        if d["severity"] == LOG_WARNING:
            out.append(d["msg"])
    return out


def nothing_sent(srv):
    srv.settle()
    assert srv.messages == []
    assert "MAIL" not in srv.verbs(), srv.commands


# -- DSN ---------------------------------------------------------------

MUTT_DSN = ["-oem", "-oi", "-N", "failure,delay", "-R", "hdrs",
            "-V", "abc+=x", "--", "a@x.org"]


def test_dsn_mutt_style(make_server, config_for, run_syslog):
    srv = make_server(dsn=True)
    r = run_syslog(MUTT_DSN, SIMPLE, config_for(srv))
    m = one_message(r, srv)
    assert params(m.mail_params) == ["RET=HDRS", "ENVID=abc+2B+3Dx"]
    assert m.rcpt_params == [["NOTIFY=FAILURE,DELAY",
                              "ORCPT=rfc822;a@x.org"]]
    assert m.content == R.crlf(SIMPLE)
    assert warnings_in(r) == []


def test_dsn_not_offered_sends_without_and_warns(make_server, config_for,
                                                 run_syslog):
    """msmtp fails the message here; losing a DSN request beats losing
    the mail."""
    srv = make_server(dsn=False)
    r = run_syslog(MUTT_DSN, SIMPLE, config_for(srv))
    m = one_message(r, srv)
    assert params(m.mail_params) == []
    assert m.rcpt_params == [[]]
    assert warnings_in(r) == [
        "warning: server does not offer DSN; -N/-R/-V ignored"]
    assert r.stderr == b"", show(r)


def test_dsn_not_offered_traced_under_v(make_server, config_for, run):
    srv = make_server(dsn=False)
    r = run(["-v"] + MUTT_DSN, SIMPLE, config_for(srv))
    one_message(r, srv)
    assert b"stamp: warning: server does not offer DSN" in r.stderr, show(r)


def test_dsn_every_recipient_gets_orcpt(make_server, config_for, run):
    srv = make_server(dsn=True)
    r = run(["-N", "Success", "a@x.org", "b+tag@y.org", "c=d@z.org"],
            SIMPLE, config_for(srv))
    m = one_message(r, srv)
    assert params(m.mail_params) == []
    assert m.rcpt_params == [
        ["NOTIFY=SUCCESS", "ORCPT=rfc822;a@x.org"],
        ["NOTIFY=SUCCESS", "ORCPT=rfc822;b+2Btag@y.org"],
        ["NOTIFY=SUCCESS", "ORCPT=rfc822;c+3Dd@z.org"]]


@pytest.mark.parametrize("flags,mail,notify", [
    (["-N", "never"], [], ["NOTIFY=NEVER"]),
    (["-Ndelay,SUCCESS,failure"], [], ["NOTIFY=SUCCESS,FAILURE,DELAY"]),
    (["-N", "failure,failure"], [], ["NOTIFY=FAILURE"]),
    (["-R", "FULL"], ["RET=FULL"], []),
    (["-Rhdrs"], ["RET=HDRS"], []),
    (["-V", "id-1"], ["ENVID=id-1"], []),
    (["-V", "a b\u00e9"], ["ENVID=a+20b+C3+A9"], []),
], ids=["never", "all-reordered", "repeated", "ret-full", "ret-glued",
        "envid-only", "envid-xtext"])
def test_dsn_values(make_server, config_for, run, flags, mail, notify):
    srv = make_server(dsn=True)
    r = run(flags + ["a@x.org"], SIMPLE, config_for(srv))
    m = one_message(r, srv)
    assert params(m.mail_params) == mail
    # ORCPT whenever the transaction uses DSN
    assert m.rcpt_params == [notify + ["ORCPT=rfc822;a@x.org"]]


def test_no_dsn_flags_no_dsn_params(make_server, config_for, run):
    srv = make_server(dsn=True)
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    m = one_message(r, srv)
    assert params(m.mail_params) == []
    assert m.rcpt_params == [[]]


def test_dsn_over_starttls(make_server, config_for, run):
    """The keywords of the EHLO after STARTTLS are the ones that count."""
    srv = make_server("starttls", dsn=True)
    r = run(["-R", "hdrs", "a@x.org"], SIMPLE, config_for(srv))
    m = one_message(r, srv)
    assert params(m.mail_params) == ["RET=HDRS"]
    assert m.rcpt_params == [["ORCPT=rfc822;a@x.org"]]


@pytest.mark.parametrize("flags,word", [
    (["-N", "sometimes"], "-N"),
    (["-N", "never,failure"], "-N"),
    (["-N", "failure,"], "-N"),
    (["-N", ""], "-N"),
    (["-N", "failure, delay"], "-N"),
    (["-R", "body"], "-R"),
    (["-R", ""], "-R"),
    (["-B", "BINARYMIME"], "-B"),
    (["-B8bit"], "-B"),
    (["-V", ""], "-V"),
    (["-V", "x" * 101], "-V"),
], ids=["N-unknown", "N-never-and-more", "N-empty-item", "N-empty",
        "N-space", "R-unknown", "R-empty", "B-binarymime", "B-8bit",
        "V-empty", "V-too-long"])
def test_bad_value_is_usage_error_before_connecting(smtps, config_for, run,
                                                    flags, word):
    r = run(flags + ["a@x.org"], SIMPLE, config_for(smtps))
    assert_exit(r, 64)
    words_in(error_line(r), word)
    smtps.settle()
    assert smtps.connections == 0


# -- BODY= ---------------------------------------------------------------

@pytest.mark.parametrize("flags,body", [
    (["-B8BITMIME"], "BODY=8BITMIME"),
    (["-B", "8bitmime"], "BODY=8BITMIME"),
    (["-B", "7BIT"], "BODY=7BIT"),
    (["-B7bit"], "BODY=7BIT"),
    ([], None),
], ids=["8bitmime-glued", "8bitmime-lower", "7bit", "7bit-glued", "none"])
def test_body_flag_on_7bit_message(smtps, config_for, run, flags, body):
    r = run(flags + ["a@x.org"], SIMPLE, config_for(smtps))
    m = one_message(r, smtps)
    assert params(m.mail_params) == ([body] if body else [])
    assert m.content == R.crlf(SIMPLE)


def test_8bit_body_without_B_declares_8bitmime(smtps, config_for, run):
    r = run(["a@x.org"], EIGHTBIT_BODY, config_for(smtps))
    m = one_message(r, smtps)
    assert params(m.mail_params) == ["BODY=8BITMIME"]
    assert m.content == R.crlf(EIGHTBIT_BODY)


def test_7bit_flag_never_declares_8bit_data_7bit(smtps, config_for,
                                                 run_syslog):
    r = run_syslog(["-B", "7BIT", "a@x.org"], EIGHTBIT_BODY,
                   config_for(smtps))
    m = one_message(r, smtps)
    assert params(m.mail_params) == ["BODY=8BITMIME"]
    assert len(warnings_in(r)) == 1, r.syslog
    assert "7BIT" in warnings_in(r)[0]


@pytest.mark.parametrize("flags", [[], ["-B", "7BIT"]], ids=["none", "7bit"])
def test_no_8bitmime_offered_no_body_param(make_server, config_for,
                                           run_syslog, flags):
    srv = make_server(eightbitmime=False)
    r = run_syslog(flags + ["a@x.org"], EIGHTBIT_BODY, config_for(srv))
    m = one_message(r, srv)
    assert params(m.mail_params) == []
    assert m.content == R.crlf(EIGHTBIT_BODY)
    assert warnings_in(r) == []


def test_B_8bitmime_not_offered_sends_without_and_warns(make_server,
                                                        config_for,
                                                        run_syslog):
    srv = make_server(eightbitmime=False)
    r = run_syslog(["-B8BITMIME", "a@x.org"], EIGHTBIT_BODY, config_for(srv))
    m = one_message(r, srv)
    assert params(m.mail_params) == []
    assert m.content == R.crlf(EIGHTBIT_BODY)
    w = warnings_in(r)
    assert len(w) == 1 and "8BITMIME" in w[0], r.syslog


# -- SMTPUTF8 --------------------------------------------------------------

def test_utf8_header_with_smtputf8(smtps, config_for, run_syslog):
    r = run_syslog(["a@x.org"], UTF8_SUBJECT, config_for(smtps))
    m = one_message(r, smtps)
    assert params(m.mail_params) == ["BODY=8BITMIME", "SMTPUTF8"]
    assert m.content == R.crlf(UTF8_SUBJECT)
    assert warnings_in(r) == []


def test_utf8_header_without_smtputf8_sent_with_warning(make_server,
                                                        config_for,
                                                        run_syslog):
    """PHP's mail() with a raw UTF-8 subject: refusing would lose it."""
    srv = make_server(smtputf8=False)
    r = run_syslog(["a@x.org"], UTF8_SUBJECT, config_for(srv))
    m = one_message(r, srv)
    assert params(m.mail_params) == ["BODY=8BITMIME"]
    assert m.content == R.crlf(UTF8_SUBJECT)
    w = warnings_in(r)
    assert len(w) == 1 and "SMTPUTF8" in w[0], r.syslog


def test_utf8_recipient_with_smtputf8(smtps, config_for, run):
    r = run([UTF8_RCPT], SIMPLE, config_for(smtps))
    m = one_message(r, smtps)
    assert m.rcpt_tos == [UTF8_RCPT]
    assert params(m.mail_params) == ["BODY=8BITMIME", "SMTPUTF8"]
    assert m.content == R.crlf(SIMPLE)


def test_utf8_sender_with_smtputf8(smtps, config_for, run):
    r = run(["-f", "jörg@example.org", "a@x.org"], SIMPLE, config_for(smtps))
    m = one_message(r, smtps)
    assert m.mail_from == "jörg@example.org"
    assert params(m.mail_params) == ["BODY=8BITMIME", "SMTPUTF8"]


def test_utf8_recipient_with_dsn_uses_utf8_orcpt(make_server, config_for,
                                                 run):
    """RFC 6533: a non-ASCII ORCPT is "utf-8;" with \\x{code point}."""
    srv = make_server(dsn=True)
    r = run(["-N", "failure", UTF8_RCPT, "a+b@x.org"], SIMPLE,
            config_for(srv))
    m = one_message(r, srv)
    assert m.rcpt_params == [
        ["NOTIFY=FAILURE", "ORCPT=utf-8;j\\x{F6}rg@example.org"],
        ["NOTIFY=FAILURE", "ORCPT=rfc822;a+2Bb@x.org"]]


@pytest.mark.parametrize("who", ["recipient", "sender"])
def test_utf8_address_without_smtputf8_is_dataerr(make_server, config_for,
                                                  run, who):
    srv = make_server(smtputf8=False)
    args = ([UTF8_RCPT] if who == "recipient"
            else ["-f", UTF8_RCPT, "a@x.org"])
    r = run(args, SIMPLE, config_for(srv))
    assert_exit(r, 65)
    line = error_line(r)
    words_in(line, who, "SMTPUTF8", "does not offer")
    assert UTF8_RCPT in line or "j??rg@example.org" in line, line
    nothing_sent(srv)
    assert "AUTH" not in srv.verbs(), srv.commands


# -- the harness's own recording, checked with smtplib ------------------------

@pytest.mark.parametrize("dsn", [True, False], ids=["dsn", "no-dsn"])
def test_harness_keywords_and_raw_params(make_server, certs, dsn):
    srv = make_server(dsn=dsn, smtputf8=False, eightbitmime=False)
    s = smtplib.SMTP_SSL("localhost", srv.port, timeout=5,
                         context=ssl.create_default_context(
                             cafile=certs.ca_pem))
    s.ehlo("cli")
    assert ("dsn" in s.esmtp_features) == dsn
    assert "smtputf8" not in s.esmtp_features
    assert "8bitmime" not in s.esmtp_features
    s.login(R.USER, R.PASSWORD)
    code, _ = s.mail("a@b", ["SIZE=9", "RET=hdrs", "ENVID=aB+2B"])
    if not dsn:
        assert code == 555
        s.quit()
        return
    assert code == 250
    assert s.rcpt("x@y", ["NOTIFY=never", "ORCPT=rfc822;x@y"])[0] == 250
    assert s.rcpt("z@w")[0] == 250
    s.data(b"Subject: x\r\n\r\nbody\r\n")
    s.quit()
    assert srv.settle()
    m, = srv.messages
    assert m.mail_params == ["SIZE=9", "RET=hdrs", "ENVID=aB+2B"]
    assert m.rcpt_params == [["NOTIFY=never", "ORCPT=rfc822;x@y"], []]
    assert m.mail_options == ["SIZE=9"]       # aiosmtpd's own view
