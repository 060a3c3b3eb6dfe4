"""The null sender (RFC 5321 4.5.5): `sendmail -f '<>'` (or `-f ''`) is
how bounce and vacation tools send.  MAIL FROM:<> goes out; the From:
header is never emptied: the message's is kept, a missing one is built
from the account's from.  Also with -t, under -bs, and from the queue."""
import os

import pytest

from stamptest import run as R
from stamptest.checks import assert_exit, error_line, one_message, show, \
    strip_added

from test_queue import age, delivered, items, leftovers  # noqa: F401
from test_queue import down_port, qconf, qdir  # noqa: F401  (fixtures)

BOUNCE = (b"From: Mail Delivery System <mailer-daemon@example.org>\n"
          b"To: joe@example.org\n"
          b"Subject: Undelivered Mail Returned to Sender\n"
          b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
          b"Message-ID: <bounce.1@example.org>\n"
          b"\n"
          b"It did not arrive.\n")

NO_FROM = (b"To: joe@example.org\n"
           b"Subject: Out of office\n"
           b"\n"
           b"Away until Monday.\n")


def mail_lines(srv):
    srv.settle()
    return [c for s in srv.sessions for c in s.commands
            if c.upper().startswith(b"MAIL ")]


@pytest.mark.parametrize("spelling", [["-f", "<>"], ["-f", ""], ["-f<>"],
                                      ["-r", "<>"]])
def test_null_sender_sent_as_is(smtps, config_for, run, spelling):
    """Every spelling gives MAIL FROM:<>, the message byte for byte, even
    with set_from_header = on (the From: is not emptied, nor replaced)."""
    cfg = config_for(smtps, set_from_header="on")
    r = run(spelling + ["-i", "joe@example.org"], BOUNCE, cfg)
    m = one_message(r, smtps)
    assert m.mail_from == "<>" or m.mail_from == "", m.mail_from
    assert m.rcpt_tos == ["joe@example.org"]
    assert m.content == R.crlf(BOUNCE)
    assert mail_lines(smtps)[0].startswith(b"MAIL FROM:<>"), \
        mail_lines(smtps)


def test_null_sender_missing_from_built_from_account(smtps, config_for,
                                                     run):
    """No From: in the message: the account's from, with -F as its name;
    never an empty From:."""
    cfg = config_for(smtps, qualify_domain="example.net")
    r = run(["-f", "<>", "-F", "Vacation", "joe@example.org"], NO_FROM, cfg)
    m = one_message(r, smtps)
    assert mail_lines(smtps)[0].startswith(b"MAIL FROM:<>")
    content, _ = strip_added(m.content, domain="example.org")
    assert content == R.crlf(NO_FROM.replace(
        b"\n\n", b"\nFrom: Vacation <%s>\n\n" % R.FROM.encode(), 1))


def test_null_sender_without_any_from_refused(smtps, config_for, run):
    """No From: and no from address in the account (a pattern): 78, and
    nothing sent rather than an empty From:."""
    cfg = config_for(smtps, from_="*@example.org")
    r = run(["-f", "<>", "joe@example.org"], NO_FROM, cfg)
    assert_exit(r, 78)
    assert "null sender needs a From:" in error_line(r), show(r)
    smtps.settle()
    assert smtps.messages == []


def test_null_sender_with_t(smtps, config_for, run):
    """-t: the recipients from the header, MAIL FROM:<>."""
    r = run(["-t", "-i", "-f", "<>"], BOUNCE, config_for(smtps))
    m = one_message(r, smtps)
    assert m.rcpt_tos == ["joe@example.org"]
    assert mail_lines(smtps)[0].startswith(b"MAIL FROM:<>")
    assert m.content == R.crlf(BOUNCE)


def test_null_sender_over_bs(smtps, config_for, run):
    """-bs: MAIL FROM:<> is taken and submitted as <>."""
    script = (b"EHLO client.example\r\nMAIL FROM:<>\r\n"
              b"RCPT TO:<joe@example.org>\r\nDATA\r\n"
              + R.crlf(BOUNCE) + b".\r\nQUIT\r\n")
    r = run(["-bs"], script, config_for(smtps))
    assert_exit(r, 0)
    replies = [l for l in r.stdout.decode().split("\r\n") if l]
    assert replies[-2].startswith("250 2.0.0 Ok: sent"), replies
    m = one_message(r, smtps)
    assert mail_lines(smtps)[0].startswith(b"MAIL FROM:<>")
    assert m.content == R.crlf(BOUNCE)


def test_null_sender_queued_then_flushed(run, qconf, down_port, qdir,
                                         make_server):
    """Server down: queued with the null sender; stamp -q sends it as
    MAIL FROM:<>, and mailq shows <>."""
    r = run(["-f", "<>", "joe@example.org"], BOUNCE, qconf(port=down_port))
    assert_exit(r, 0)
    it, = items(qdir)
    out = run(["-bp"], b"", qconf(port=down_port))
    assert "<>" in out.stdout.decode(), out.stdout
    age(qdir, it, 120)
    srv = make_server("smtps")
    r = run(["-q"], b"", qconf(srv))
    assert_exit(r, 0)
    assert r.stderr == b"", show(r)
    srv.settle()
    assert len(srv.messages) == 1
    assert mail_lines(srv)[0].startswith(b"MAIL FROM:<>"), mail_lines(srv)
    assert srv.messages[0].content == R.crlf(BOUNCE)
    assert items(qdir) == [] and leftovers(qdir) == []
