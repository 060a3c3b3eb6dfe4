"""Fault injection with a scripted server (stamptest.faulty): at every stage
of the session a refusal, a dropped connection or a malformed reply.  Each
case checks the exit status class (DESIGN.md 5), the one stderr line naming
the stage, and what the server saw: nothing is delivered unless it said 250
to the end of data, no end of data is sent after any refusal, and no AUTH
ever crosses the wire in clear.  Hangs and timeouts: test_timeouts.py."""
import functools
import smtplib
import ssl
import time

import pytest

from stamptest import faulty as F
from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, error_line, show, words_in

TIMEOUT = 2          # no case here waits for a timeout: all end at once

# The word that the stderr line must hold for a failure at each stage.
STAGE_WORD = {
    "greeting": "greeting", "ehlo": "EHLO", "starttls": "STARTTLS",
    "ehlo2": "EHLO", "auth": "AUTH", "mail": "MAIL", "rcpt": "RCPT",
    "data": "DATA", "body": ("sending", "end of data"),
    "dot": "end of data",
}
# The command a stage answers, for "the client went no further".
STAGE_VERB = {"ehlo": "EHLO", "starttls": "STARTTLS", "ehlo2": "EHLO",
              "auth": "AUTH", "mail": "MAIL", "rcpt": "RCPT", "data": "DATA"}
ORDER = ["EHLO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA"]


def mode_for(stage):
    """STARTTLS and the second EHLO only exist in STARTTLS mode."""
    return "starttls" if stage in ("starttls", "ehlo2") else "smtps"


@pytest.fixture
def faulty(make_faulty):
    """faulty(mode, script, **kw) -> (a started Faulty, its config)."""
    return functools.partial(make_faulty, timeout=TIMEOUT)


def send(run, cfg, rcpts=("a@x.org",), msg=SIMPLE, timeout=20):
    t0 = time.monotonic()
    r = run(list(rcpts), msg, cfg, timeout=timeout)
    return r, time.monotonic() - t0


def stopped_after(srv, stage):
    """The client sent no command after the one that failed but QUIT (none
    at all after the greeting), and no end of data unless the failure came
    after it."""
    verbs = srv.verbs()
    if stage == "greeting":
        assert set(verbs) <= {"QUIT"}, verbs
    elif stage in STAGE_VERB:
        v = STAGE_VERB[stage]
        upto = "STARTTLS" if stage == "ehlo2" else v
        allowed = set(ORDER[:ORDER.index(upto) + 1]) | {"QUIT"}
        assert set(verbs) <= allowed, verbs
        if v in verbs:
            last = len(verbs) - 1 - verbs[::-1].index(v)
            assert set(verbs[last + 1:]) <= {"QUIT"}, verbs
    if stage not in ("body", "dot"):
        assert not srv.dot_sent(), "end of data sent after a refusal"


def failed(r, took, srv, status, stage, *words):
    """Exit status, the one stderr line with the stage (and words), no
    delivery, no wait for a timeout."""
    assert_exit(r, status)
    line = error_line(r)
    words_in(line, STAGE_WORD[stage], *words)
    assert took < TIMEOUT, "took %.1fs: waited for a timeout" % took
    assert srv.settle(), "the client did not close the connection"
    assert srv.delivered == []
    stopped_after(srv, stage)
    return line


# -- a given reply at each stage -------------------------------------------

REPLIES = [
    ("greeting", "421 4.3.2 too busy", 75),
    ("greeting", "554 5.3.2 no service here", 69),
    ("ehlo", "421 4.3.2 shutting down", 75),
    ("ehlo", "550 5.7.1 go away", 69),
    ("starttls", "454 4.7.0 TLS not available", 75),
    ("starttls", "554 5.7.3 no TLS for you", 69),
    ("ehlo2", "421 4.3.2 shutting down", 75),
    ("auth", "535 5.7.8 authentication credentials invalid", 77),
    ("auth", "454 4.7.0 temporary authentication failure", 75),
    ("auth", "534 5.7.9 mechanism too weak", 69),
    ("mail", "451 4.3.0 try again later", 75),
    ("mail", "553 5.1.8 sender address refused", 69),   # 5.1.x: RCPT only
    ("rcpt", "450 4.2.1 mailbox busy", 75),
    ("rcpt", "550 5.1.1 no such user", 67),
    ("rcpt", "554 5.7.1 relay access denied", 69),
    ("data", "451 4.3.0 try again later", 75),
    ("data", "554 5.5.1 no valid recipients", 69),
    ("dot", "451 4.3.0 queue full", 75),
    ("dot", "552 5.3.4 message too big", 69),
    ("dot", "554 5.6.0 message refused", 69),
    # well formed, but a code that makes no sense there: 76
    ("greeting", "250 2.0.0 hello", 76),
    ("mail", "354 go ahead", 76),
    ("data", "250 2.0.0 ok", 76),               # no 354: no data sent
    ("dot", "354 more please", 76),
]


@pytest.mark.parametrize("stage,reply,status", REPLIES,
                         ids=["%s-%s" % (s, r[:3]) for s, r, _ in REPLIES])
def test_reply(faulty, run, stage, reply, status):
    srv, cfg = faulty(mode_for(stage), {stage: reply})
    r, took = send(run, cfg)
    failed(r, took, srv, status, stage, reply[:3])
    if stage in ("greeting", "ehlo", "starttls"):
        assert "AUTH" not in srv.verbs()


def test_auth_refused_sends_no_mail(faulty, run):
    """535 5.7.8 -> 77; the password never shows; no MAIL after it."""
    srv, cfg = faulty("starttls", {"auth": "535 5.7.8 go away"})
    r, took = send(run, cfg)
    failed(r, took, srv, 77, "auth", "535")
    assert "MAIL" not in srv.verbs()
    assert R.PASSWORD.encode() not in r.stderr + r.stdout


# -- the connection dropped at each stage ----------------------------------

DROPS = ["greeting", "ehlo", "starttls", "ehlo2", "auth", "mail", "rcpt",
         "data", "body", "dot"]


@pytest.mark.parametrize("how", [F.DROP, F.RESET], ids=["fin", "rst"])
@pytest.mark.parametrize("stage", DROPS)
def test_drop(faulty, run, stage, how):
    """Every lost connection is 75, at once, naming the stage."""
    srv, cfg = faulty(mode_for(stage), {stage: how})
    r, took = send(run, cfg)
    failed(r, took, srv, 75, stage)


@pytest.mark.parametrize("how", [F.DROP, F.RESET], ids=["fin", "rst"])
@pytest.mark.parametrize("mode", ["smtps", "starttls"])
def test_drop_after_the_dot_is_never_success(faulty, run, mode, how):
    """DESIGN 1: the whole message and its end of data reached the server,
    which then vanished without a reply: 75, never 0."""
    srv, cfg = faulty(mode, {"dot": how})
    r, took = send(run, cfg)
    failed(r, took, srv, 75, "dot")
    assert srv.dot_sent()
    assert srv.sessions[0].data.endswith(b"\r\n.\r\n")


def test_reply_in_the_middle_of_the_data(faulty, run):
    """A server that refuses after the first line of data and closes: not
    a success, nothing delivered (75 if the close beats the reply)."""
    srv, cfg = faulty("smtps", {"body": "554 5.3.4 message too big"})
    r, took = send(run, cfg)
    assert r.returncode in (69, 75), show(r)
    words_in(error_line(r), STAGE_WORD["body"])
    assert took < TIMEOUT
    srv.settle()
    assert srv.delivered == []


# -- malformed replies at each stage ---------------------------------------

MALFORMED_STAGES = ["greeting", "ehlo", "auth", "mail", "rcpt", "data",
                    "dot"]
# kind -> what the stderr line says about it
REFUSED_AS_MALFORMED = {"bad_code": "no reply code",
                        "long_line": "longer than 2048",
                        "many_lines": "too many lines",
                        "mixed_codes": "inconsistent codes"}


@pytest.mark.parametrize("kind", sorted(REFUSED_AS_MALFORMED))
@pytest.mark.parametrize("stage", MALFORMED_STAGES)
def test_malformed(faulty, run, stage, kind):
    """A malformed reply is 76 wherever it comes, and ends the session."""
    srv, cfg = faulty("smtps", {stage: F.malformed(kind,
                                                   F.NORMAL_CODE[stage])})
    r, took = send(run, cfg)
    line = failed(r, took, srv, 76, stage, "malformed",
                  REFUSED_AS_MALFORMED[kind])
    assert len(line) < 1100, "the stderr line is bounded"


@pytest.mark.parametrize("stage", MALFORMED_STAGES)
def test_eof_in_the_middle_of_a_reply(faulty, run, stage):
    """"250 ok" and then the connection closes without the CRLF: a lost
    connection (75), even after the end of data (never 0)."""
    srv, cfg = faulty("smtps", {stage: F.malformed("no_crlf_eof",
                                                   F.NORMAL_CODE[stage])})
    r, took = send(run, cfg)
    failed(r, took, srv, 75, stage)


@pytest.mark.parametrize("stage", MALFORMED_STAGES)
def test_nul_in_reply_text_is_replaced(faulty, run, stage):
    """DESIGN 4: non-printable bytes in the text are replaced, not fatal;
    the session goes on and the message is delivered."""
    if stage == "ehlo":          # keep AUTH on a line of its own
        reply = F.Raw(b"250-faulty\0test\r\n250 AUTH PLAIN LOGIN\r\n",
                      code=250)
    else:
        reply = F.malformed("nul", F.NORMAL_CODE[stage])
    srv, cfg = faulty("smtps", {stage: reply})
    r, took = send(run, cfg)
    assert_exit(r, 0)
    srv.settle()
    assert len(srv.delivered) == 1


def test_nul_in_a_refusal_is_printed_safely(faulty, run):
    srv, cfg = faulty("smtps", {"rcpt": F.Raw(b"550 5.1.1 no\0such\x1b[31m "
                                              b"user\r\n")})
    r, took = send(run, cfg)
    failed(r, took, srv, 67, "rcpt", "550", "no?such?[31m user")
    assert b"\0" not in r.stderr and b"\x1b" not in r.stderr


def test_continuation_lines_without_end(faulty, run):
    """Thousands of "250-x" lines and no last line: 76 after the line
    ceiling, without waiting for the rest."""
    srv, cfg = faulty("smtps", {"ehlo": F.Raw(b"250-x\r\n" * 20000)})
    r, took = send(run, cfg)
    failed(r, took, srv, 76, "ehlo", ("too many lines", "malformed"))


def test_huge_line_without_end(faulty, run):
    """100 KB with no line end, and the server keeps the connection open:
    76 at the line ceiling (no unbounded buffer, no timeout)."""
    srv, cfg = faulty("smtps", {"greeting": F.Raw(b"220 " + b"x" * 100000)})
    r, took = send(run, cfg)
    failed(r, took, srv, 76, "greeting", "longer than")


# -- all recipients or none (DESIGN 4) -------------------------------------

RCPTS = ["a@x.org", "b@x.org", "c@x.org", "d@x.org"]


def refusing(table):
    return lambda addr: table.get(addr)


@pytest.mark.parametrize("table,status", [
    ({"b@x.org": "450 4.2.1 mailbox busy"}, 75),
    ({"b@x.org": "550 5.1.1 no such user",
      "d@x.org": "550 5.1.1 no such user either"}, 67),
    ({"c@x.org": "554 5.7.1 relay access denied"}, 69),
    # a permanent refusal outweighs a temporary one: retrying cannot help
    ({"a@x.org": "451 4.3.0 later", "c@x.org": "550 5.1.1 unknown"}, 67),
], ids=["one-4xx", "two-5.1.1", "one-554", "4xx-and-5xx"])
def test_some_recipients_refused(faulty, run, table, status):
    """Every RCPT is tried, the error names every refused recipient with
    the server's words, and no DATA is sent."""
    srv, cfg = faulty("smtps", {"rcpt": refusing(table)})
    r, took = send(run, cfg, RCPTS)
    line = failed(r, took, srv, status, "rcpt")
    for addr, reply in table.items():
        words_in(line, addr, reply)
    for addr in RCPTS:
        if addr not in table:
            assert addr + ":" not in line, line
    assert srv.verbs().count("RCPT") == len(RCPTS)
    assert "DATA" not in srv.verbs()


# -- STARTTLS: injection and stripping (RFC 3207 6) ------------------------

def test_data_after_starttls_220(faulty, run):
    """Bytes right after "220" to STARTTLS, before the handshake, could be
    a MITM's: 76, nothing more is sent (no AUTH, no second EHLO)."""
    srv, cfg = faulty("starttls", {"starttls": F.StartTLSWith(
        b"250-faulty.test\r\n250 AUTH PLAIN LOGIN\r\n")})
    r, took = send(run, cfg)
    failed(r, took, srv, 76, "starttls", ("before the TLS", "handshake"))
    assert srv.verbs() == ["EHLO", "STARTTLS"], srv.verbs()
    assert not srv.sessions[0].tls


def test_starttls_stripped(faulty, run):
    """A MITM removes STARTTLS and offers AUTH in clear: 69, and the
    client sends neither AUTH nor MAIL."""
    srv, cfg = faulty("starttls", starttls=False, auth_in_clear=True)
    r, took = send(run, cfg)
    failed(r, took, srv, 69, "starttls")
    assert set(srv.verbs()) <= {"EHLO", "QUIT"}, srv.verbs()
    assert srv.sessions[0].auth_responses == []


def test_starttls_then_no_auth_offered(faulty, run):
    """After TLS the server offers no AUTH: 69, never a guess."""
    srv, cfg = faulty("starttls", {"ehlo2": "250 faulty.test"})
    r, took = send(run, cfg)
    failed(r, took, srv, 69, "auth")
    assert "AUTH" not in srv.verbs()


# -- what happens after the 250 --------------------------------------------

@pytest.mark.parametrize("quit", [F.HANG, F.DROP, F.RESET,
                                  F.Raw(b"2x1 bye\r\n")],
                         ids=["hang", "drop", "reset", "malformed"])
def test_quit_is_not_waited_for(faulty, run, quit):
    """After 250 to the end of data the message is accepted: whatever the
    server does with QUIT, exit 0 at once."""
    srv, cfg = faulty("smtps", {"quit": quit})
    r, took = send(run, cfg)
    assert_exit(r, 0)
    assert took < 1.5, "took %.1fs: waited for the QUIT reply" % took
    srv.settle()
    assert len(srv.delivered) == 1


def test_quit_after_a_failure_does_not_block(faulty, run):
    """A refusal, then a server that never answers QUIT: exit at once."""
    srv, cfg = faulty("smtps", {"mail": "550 5.7.1 no", "quit": F.HANG})
    r, took = send(run, cfg)
    failed(r, took, srv, 69, "mail", "550")
    assert took < 1.5


def test_normal_session_is_delivered(faulty, run):
    """The scripted server itself: without a script, one delivery with
    the right envelope and content."""
    srv, cfg = faulty("starttls")
    r, _ = send(run, cfg, ["a@x.org", "b@x.org"])
    assert_exit(r, 0)
    srv.settle()
    d, = srv.delivered
    assert (d.mail_from, d.rcpts) == (R.FROM, ["a@x.org", "b@x.org"])
    assert d.content == R.crlf(SIMPLE)
    assert srv.clear_verbs() == ["EHLO", "STARTTLS"]
    assert srv.verbs()[2:] == ["EHLO", "AUTH", "MAIL", "RCPT", "RCPT",
                               "DATA", "QUIT"]


def test_faulty_server_with_smtplib(certs):
    """The scripted server checked without stamp (as test_harness.py does
    for aiosmtpd): it records, delivers only after its 250 to the end of
    data, and refuses what its script says."""
    ctx = ssl.create_default_context(cafile=certs.ca_pem)
    with F.Faulty(certs, "starttls", {"rcpt": lambda a: "550 5.1.1 no"
                                      if a == "bad@x" else None},
                  password=R.PASSWORD) as srv:
        s = smtplib.SMTP("localhost", srv.port, timeout=5)
        s.starttls(context=ctx)
        s.login(R.USER, R.PASSWORD)
        refused = s.sendmail("a@b", ["x@y", "bad@x"], b"Hi\r\n.dot\r\n")
        assert refused == {"bad@x": (550, b"5.1.1 no")}
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            s.sendmail("a@b", ["bad@x"], b"x\r\n")
        s.quit()
        assert srv.settle()
        d, = srv.delivered
        assert (d.mail_from, d.rcpts, d.content) == ("a@b", ["x@y"],
                                                     b"Hi\r\n.dot\r\n")
        assert b"..dot\r\n" in srv.sessions[0].data
        assert srv.clear_verbs() == ["EHLO", "STARTTLS"]
    with F.Faulty(certs, "smtps", {"dot": F.DROP},
                  password=R.PASSWORD) as srv:
        s = smtplib.SMTP_SSL("localhost", srv.port, context=ctx, timeout=5)
        s.login(R.USER, R.PASSWORD)
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.sendmail("a@b", ["x@y"], b"x\r\n")
        assert srv.settle()
        assert srv.dot_sent() and srv.delivered == []
