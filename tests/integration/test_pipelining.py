"""The protocol shortcuts of DESIGN.md 4: PIPELINING (RFC 2920), AUTH
PLAIN pipelined with the transaction (RFC 4954 4), CHUNKING (RFC 3030,
BDAT LAST with a single recipient) and QUIT in the same write as the end
of data; each switched off by pipelining = off / chunking = off.

Round trips are read from the server's record (stamptest.smtpd: for each
command, how many replies the server had sent when its bytes arrived):
commands that share the number were sent in one write."""
import quopri

import pytest

from stamptest import faulty as F
from stamptest import run as R
from stamptest.checks import (SIMPLE, assert_exit, assert_sent, error_line,
                              words_in)

RCPTS = ["a@x.org", "b@x.org", "c@x.org"]

# Lines starting with '.', a lone '.', no final newline: with BDAT none of
# it is stuffed, and the server must get it exactly (CRLF line ends).
DOTS = (b"From: Joe <joe@example.org>\n"
        b"To: a@x.org\n"
        b"Subject: dots\n"
        b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
        b"Message-ID: <dots.1@example.org>\n"
        b"\n"
        b".leading dot\n"
        b".\n"
        b"..two\r\n"
        b"bare\rcr\n"
        b"last line without end")

LONG = (b"From: Joe <joe@example.org>\n"
        b"To: a@x.org\n"
        b"Subject: long line\n"
        b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
        b"Message-ID: <long.1@example.org>\n"
        b"\n"
        b"short\n"
        + b"x= " * 700 + b"\n"
        b".dot after\n")


def wire(b):
    """What the server must get: every line end (a bare CR too) CRLF."""
    return R.crlf(b.replace(b"\r\n", b"\n").replace(b"\r", b"\n"))


def batches(srv):
    """[(verb, batch)] of the session, AUTH continuation lines excluded."""
    return srv.batch_of()


def batch(srv, verb, nth=0):
    return [b for v, b in batches(srv) if v == verb][nth]


def one_write(srv, verbs):
    """Every command with these verbs arrived in the same read group."""
    got = [(v, b) for v, b in batches(srv) if v in verbs]
    assert got, batches(srv)
    assert len({b for _, b in got}) == 1, got


def lockstep(srv):
    """Every command arrived after the reply to the one before it."""
    bs = [b for _, b in batches(srv)]
    assert all(x < y for x, y in zip(bs, bs[1:])), batches(srv)


@pytest.fixture
def piped(make_server):
    return make_server("smtps", pipelining=True)


@pytest.fixture
def chunked(make_server):
    return make_server("smtps", pipelining=True, chunking=True)


# -- PIPELINING -------------------------------------------------------------

def test_pipelined_auth_mail_rcpt_data(piped, config_for, run):
    r = run(RCPTS, SIMPLE, config_for(piped))
    assert_sent(r, piped, RCPTS, R.crlf(SIMPLE))
    assert piped.verbs() == ["EHLO", "AUTH", "MAIL", "RCPT", "RCPT", "RCPT",
                             "DATA", "QUIT"]
    one_write(piped, {"AUTH", "MAIL", "RCPT", "DATA"})
    # QUIT came with the end of data: before the 250 to it was sent.
    group = 1 + 1 + len(RCPTS) + 1
    assert batch(piped, "QUIT") == batch(piped, "DATA") + group, \
        batches(piped)


def test_pipelined_starttls(make_server, config_for, run):
    srv = make_server("starttls", pipelining=True)
    r = run(["a@x.org"], SIMPLE, config_for(srv))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    one_write(srv, {"AUTH", "MAIL", "RCPT", "DATA"})


def test_login_then_pipelined_mail(make_server, config_for, run):
    """LOGIN takes three round trips; the transaction is still one."""
    srv = make_server("smtps", pipelining=True, auth_mechanisms=("LOGIN",))
    r = run(["a@x.org", "b@x.org"], SIMPLE, config_for(srv))
    assert_sent(r, srv, ["a@x.org", "b@x.org"], R.crlf(SIMPLE))
    one_write(srv, {"MAIL", "RCPT", "DATA"})
    assert batch(srv, "AUTH") < batch(srv, "MAIL")


def test_pipelining_off(piped, config_for, run):
    r = run(RCPTS, SIMPLE, config_for(piped, pipelining="off"))
    assert_sent(r, piped, RCPTS, R.crlf(SIMPLE))
    lockstep(piped)


def test_not_offered_is_lockstep(smtps, config_for, run):
    r = run(RCPTS, SIMPLE, config_for(smtps))
    assert_sent(r, smtps, RCPTS, R.crlf(SIMPLE))
    lockstep(smtps)


@pytest.mark.parametrize("table,status", [
    ({"b@x.org": "550 5.1.1 no such user"}, 67),
    ({"a@x.org": "451 4.3.0 later", "c@x.org": "550 5.1.1 unknown"}, 67),
    ({"c@x.org": "450 4.2.1 busy"}, 75),
], ids=["one-5.1.1", "4xx-and-5xx", "one-4xx"])
def test_pipelined_refused_rcpt(piped, config_for, run, table, status):
    """DATA got 354 in the same group: stamp closes without the end of
    data, so nothing is delivered; every refusal is named."""
    piped.replies["RCPT"] = lambda a: table.get(a)
    r = run(RCPTS, SIMPLE, config_for(piped))
    assert_exit(r, status)
    line = error_line(r)
    words_in(line, "RCPT")
    for addr, reply in table.items():
        words_in(line, addr, reply)
    piped.settle()
    assert piped.messages == []
    one_write(piped, {"AUTH", "MAIL", "RCPT", "DATA"})
    assert "QUIT" not in piped.verbs()
    assert b".\r\n" not in [l for s in piped.sessions for l in s.data_lines]


def test_pipelined_refused_rcpt_faulty(certs, config_for, run):
    """The same against the scripted server: no end of data, nothing
    delivered."""
    with F.Faulty(certs, "smtps", {"rcpt": lambda a: "550 5.1.1 unknown"
                                   if a == "b@x.org" else None},
                  password=R.PASSWORD,
                  extensions=("8BITMIME", "PIPELINING")) as srv:
        r = run(RCPTS, SIMPLE, config_for(srv, timeout=5))
        assert_exit(r, 67)
        words_in(error_line(r), "RCPT TO:<b@x.org>", "550 5.1.1")
        srv.settle()
        assert srv.delivered == []
        assert not srv.dot_sent()


def test_pipelined_mail_refused(piped, config_for, run):
    piped.replies["MAIL"] = "452 4.3.1 insufficient storage"
    r = run(RCPTS, SIMPLE, config_for(piped))
    assert_exit(r, 75)
    words_in(error_line(r), "MAIL FROM:<joe@example.org>", "452 4.3.1")
    piped.settle()
    assert piped.messages == []


def test_pipelined_data_refused(piped, config_for, run):
    piped.replies["DATA"] = "554 5.6.0 no"
    r = run(RCPTS, SIMPLE, config_for(piped))
    assert_exit(r, 69)
    words_in(error_line(r), ("end of data", "DATA"), "554 5.6.0")
    piped.settle()
    assert piped.messages == []


@pytest.mark.parametrize("server", ["piped", "chunked"])
def test_pipelined_auth_refused(request, config_for, run, server):
    """535 to AUTH; the 530s to the MAIL, RCPT and DATA/BDAT behind it do
    not change the outcome: 77, AUTH named."""
    srv = request.getfixturevalue(server)
    r = run(["a@x.org"], SIMPLE, config_for(srv, password="wrong"))
    assert_exit(r, 77)
    line = error_line(r)
    words_in(line, "AUTH PLAIN", "535")
    assert "MAIL" not in line and "RCPT" not in line, line
    srv.settle()
    assert srv.messages == []
    one_write(srv, {"AUTH", "MAIL", "RCPT", "DATA", "BDAT"})


# -- CHUNKING ---------------------------------------------------------------

def bdat_count(srv):
    c = [c for c in srv.commands if c.upper().startswith(b"BDAT")]
    assert len(c) == 1, srv.commands
    words = c[0].split()
    assert words[2].upper() == b"LAST", c
    return int(words[1])


@pytest.mark.parametrize("msg", [SIMPLE, DOTS], ids=["simple", "dots"])
def test_bdat_single_recipient(chunked, config_for, run, msg):
    r = run(["a@x.org"], msg, config_for(chunked))
    m = assert_sent(r, chunked, ["a@x.org"], wire(msg))
    assert chunked.verbs() == ["EHLO", "AUTH", "MAIL", "RCPT", "BDAT",
                               "QUIT"]
    assert bdat_count(chunked) == len(wire(msg))
    assert m.session.bdat == [wire(msg)]
    assert m.session.data_lines == []
    one_write(chunked, {"AUTH", "MAIL", "RCPT", "BDAT", "QUIT"})


def test_bdat_quoted_printable(chunked, make_server, config_for, run):
    """A long line goes quoted-printable: the count is exact, and the bytes
    are those DATA would carry (unstuffed)."""
    r = run(["a@x.org"], LONG, config_for(chunked))
    m = assert_sent(r, chunked, ["a@x.org"], m_content(chunked, r))
    assert bdat_count(chunked) == len(m.content)
    body = m.content.split(b"\r\n\r\n", 1)[1]
    assert b"Content-Transfer-Encoding: quoted-printable" in m.content
    assert quopri.decodestring(body) == R.crlf(LONG.split(b"\n\n", 1)[1])
    ref = make_server("smtps", pipelining=True)
    r2 = run(["a@x.org"], LONG, config_for(ref))
    assert_sent(r2, ref, ["a@x.org"], m.content)
    assert "DATA" in ref.verbs()


def m_content(srv, r):
    assert_exit(r, 0)
    srv.settle()
    assert len(srv.messages) == 1
    return srv.messages[0].content


def test_bdat_refused(chunked, config_for, run):
    chunked.replies["BDAT"] = "554 5.6.0 message refused"
    r = run(["a@x.org"], SIMPLE, config_for(chunked))
    assert_exit(r, 69)
    n = len(R.crlf(SIMPLE))
    words_in(error_line(r), "BDAT %d LAST" % n, "554 5.6.0")
    chunked.settle()
    assert chunked.messages == []


def test_bdat_tempfail(chunked, config_for, run):
    chunked.replies["BDAT"] = "452 4.3.1 insufficient storage"
    r = run(["a@x.org"], SIMPLE, config_for(chunked))
    assert_exit(r, 75)
    words_in(error_line(r), "BDAT", "452 4.3.1")


def test_bdat_recipient_refused(chunked, config_for, run):
    chunked.replies["RCPT"] = "550 5.1.1 no such user"
    r = run(["a@x.org"], SIMPLE, config_for(chunked))
    assert_exit(r, 67)
    words_in(error_line(r), "RCPT TO:<a@x.org>", "550 5.1.1")
    chunked.settle()
    assert chunked.messages == []


def test_several_recipients_keep_data(chunked, config_for, run):
    r = run(RCPTS, DOTS, config_for(chunked))
    assert_sent(r, chunked, RCPTS, wire(DOTS))
    assert "BDAT" not in chunked.verbs() and "DATA" in chunked.verbs()
    one_write(chunked, {"AUTH", "MAIL", "RCPT", "DATA"})


def test_chunking_off(chunked, config_for, run):
    r = run(["a@x.org"], DOTS, config_for(chunked, chunking="off"))
    assert_sent(r, chunked, ["a@x.org"], wire(DOTS))
    assert "BDAT" not in chunked.verbs()
    one_write(chunked, {"AUTH", "MAIL", "RCPT", "DATA"})


def test_chunking_needs_pipelining(chunked, config_for, run):
    r = run(["a@x.org"], DOTS, config_for(chunked, pipelining="off"))
    assert_sent(r, chunked, ["a@x.org"], wire(DOTS))
    assert "BDAT" not in chunked.verbs()
    lockstep(chunked)


def test_bdat_large_message(chunked, config_for, run):
    msg = SIMPLE + b"".join(b".%07d line of the body\n" % i
                            for i in range(100000))
    r = run(["a@x.org"], msg, config_for(chunked))
    assert_sent(r, chunked, ["a@x.org"], wire(msg))
    assert bdat_count(chunked) == len(wire(msg))


def test_many_recipients_go_in_lockstep(piped, config_for, run):
    """Over 100 recipients the replies might not fit the socket buffers
    while stamp writes: no pipelining then (RFC 2920 3.1)."""
    rcpts = ["r%d@x.org" % i for i in range(101)]
    r = run(rcpts, SIMPLE, config_for(piped))
    assert_sent(r, piped, rcpts, R.crlf(SIMPLE))
    lockstep(piped)


def test_hundred_recipients_pipelined(piped, config_for, run):
    rcpts = ["r%d@x.org" % i for i in range(100)]
    r = run(rcpts, SIMPLE, config_for(piped))
    assert_sent(r, piped, rcpts, R.crlf(SIMPLE))
    one_write(piped, {"AUTH", "MAIL", "RCPT", "DATA"})


def test_verbose_shows_the_group(chunked, config_for, run):
    r = run(["-v", "a@x.org"], SIMPLE, config_for(chunked))
    assert_exit(r, 0)
    err = r.stderr.decode()
    assert "pipelining: AUTH, MAIL, 1 RCPT, BDAT LAST, QUIT" in err, err
    assert R.PASSWORD not in err


def faulty_piped(certs, script):
    return F.Faulty(certs, "smtps", script, password=R.PASSWORD,
                    extensions=("8BITMIME", "PIPELINING"))


def test_auth_refused_server_takes_the_data_anyway(certs, config_for, run):
    """A server that does not insist on AUTH before MAIL answers the
    pipelined MAIL, RCPT and DATA (354) after its 535: stamp still
    reports the AUTH failure and closes without the end of data."""
    with faulty_piped(certs, {"auth": "535 5.7.8 credentials invalid"}) as srv:
        r = run(["a@x.org"], SIMPLE, config_for(srv, timeout=5))
        assert_exit(r, 77)
        words_in(error_line(r), "AUTH PLAIN", "535 5.7.8")
        srv.settle()
        # what it read before stamp closed: never QUIT (that would be data)
        assert srv.verbs()[:3] == ["EHLO", "AUTH", "MAIL"], srv.verbs()
        assert "QUIT" not in srv.verbs()
        assert not srv.dot_sent()
        assert srv.delivered == []


@pytest.mark.parametrize("reply,status", [
    ("451 4.3.0 try later", 75), ("554 5.6.0 refused", 69)])
def test_pipelined_end_of_data_refused(certs, config_for, run, reply,
                                       status):
    with faulty_piped(certs, {"dot": reply}) as srv:
        r = run(["a@x.org"], SIMPLE, config_for(srv, timeout=5))
        assert_exit(r, status)
        words_in(error_line(r), "end of data", reply)
        srv.settle()
        assert srv.delivered == []
        assert srv.verbs()[-1] == "QUIT"


def test_pipelined_hang_names_the_stage(certs, config_for, run):
    with faulty_piped(certs, {"rcpt": F.HANG}) as srv:
        r = run(["a@x.org"], SIMPLE, config_for(srv, timeout=1))
        assert_exit(r, 75)
        words_in(error_line(r), "RCPT TO:<a@x.org>", "timed out")
        srv.settle()
        assert srv.delivered == []
        assert not srv.dot_sent()
