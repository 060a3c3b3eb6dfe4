"""stamp -bs: the SMTP dialogue on stdin/stdout (symfony/mailer and
SwiftMailer's default), with the real test server upstream.  Each message
is submitted before its end of data is answered; every reply is checked."""
import os
import re
import subprocess
import tempfile
import threading

import pytest

from stamptest import run as R
from stamptest.checks import show
from stamptest.syslog import parse_datagram, parse_log_line

# Each with Date and Message-ID, so that stamp adds no field: the
# server must get exactly these bytes.
DATE = b"Date: Sun, 22 Nov 2026 10:00:00 +0000\r\n"
MSG1 = (b"From: Joe <joe@example.org>\r\n"
        b"To: a@x.org, b@y.org\r\n" + DATE +
        b"Subject: first\r\n"
        b"Message-ID: <bs.1@example.org>\r\n"
        b"\r\n"
        b"Hello,\r\n"
        b"first message.\r\n")
MSG2 = (b"From: Other <other@example.net>\r\n"
        b"To: c@z.org\r\n" + DATE +
        b"Subject: second\r\n"
        b"Message-ID: <bs.2@example.org>\r\n"
        b"\r\n"
        b"second message.\r\n")
# The same with LF line ends, as some callers write it.
LF_MSG = (b"From: Joe <joe@example.org>\n" + DATE.replace(b"\r\n", b"\n") +
          b"Message-ID: <bs.lf@example.org>\n"
          b"Subject: LF only\n"
          b"\n"
          b"body\n")
# Lines that need dot-stuffing: a lone dot, "..x", and a leading dot.
DOTS = (b"From: Joe <joe@example.org>\r\n" + DATE +
        b"Message-ID: <bs.dots@example.org>\r\n"
        b"Subject: dots\r\n"
        b"\r\n"
        b"before\r\n"
        b".\r\n"
        b"..x\r\n"
        b".leading\r\n"
        b"after\r\n")


def stuff(msg):
    """msg as a client sends it after DATA: dot-stuffed, then the dot."""
    out = b"".join(b"." + l if l.startswith(b".") else l
                   for l in msg.splitlines(keepends=True))
    return out + b".\r\n"


def parse_replies(data):
    """stdout -> [(code, [lines])]; every line must be a CRLF reply line."""
    replies, cur = [], []
    for line in data.split(b"\r\n")[:-1]:
        m = re.fullmatch(rb"(\d{3})([ -])(.*)", line)
        assert m, "not a reply line: %r in %r" % (line, data)
        cur.append(line.decode("ascii"))
        if m.group(2) == b" ":
            replies.append((int(m.group(1)), cur))
            cur = []
    assert data.endswith(b"\r\n") or data == b"", data
    assert cur == [], "unfinished reply %r" % cur
    return replies


class Session:
    """stamp -bs driven one command at a time, as symfony/mailer does."""

    def __init__(self, stamp, config, env, args=(), timeout=30):
        self.err = tempfile.TemporaryFile()
        self.p = subprocess.Popen(
            [stamp, "-C", str(config), "-bs"] + list(args),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.err,
            env=env)
        self.watchdog = threading.Timer(timeout, self.p.kill)
        self.watchdog.start()

    def reply(self):
        lines = []
        while True:
            line = self.p.stdout.readline()
            assert line, "stamp -bs closed stdout; replies so far %r" % lines
            assert line.endswith(b"\r\n"), line
            m = re.fullmatch(rb"(\d{3})([ -])(.*)\r\n", line)
            assert m, line
            lines.append(line[:-2].decode("ascii"))
            if m.group(2) == b" ":
                return int(m.group(1)), lines

    def send(self, data):
        self.p.stdin.write(data)
        self.p.stdin.flush()

    def cmd(self, line, code):
        """Send one command line; its reply must have this code."""
        self.send(line + b"\r\n")
        got, lines = self.reply()
        assert got == code, "%r -> %r, expected %d" % (line, lines, code)
        return lines

    def data(self, msg, code):
        self.cmd(b"DATA", 354)
        self.send(stuff(msg))
        got, lines = self.reply()
        assert got == code, "end of data -> %r, expected %d" % (lines, code)
        return lines

    def finish(self):
        """After QUIT (or to close stdin): exit status, rest of stdout,
        stderr."""
        self.p.stdin.close()
        rest = self.p.stdout.read()
        rc = self.p.wait()
        self.watchdog.cancel()
        self.err.seek(0)
        return rc, rest, self.err.read()


@pytest.fixture
def session(stamp, env):
    started = []

    def start(config, args=()):
        s = Session(stamp, config, env, args)
        started.append(s)
        return s
    yield start
    for s in started:
        if s.p.poll() is None:
            s.p.kill()
            s.p.wait()
        s.watchdog.cancel()


def greet_and_ehlo(s):
    code, lines = s.reply()
    assert code == 220 and lines[0].endswith(" ESMTP stamp"), lines
    lines = s.cmd(b"EHLO client.example", 250)
    caps = [l[4:] for l in lines[1:]]
    for c in ("8BITMIME", "PIPELINING", "ENHANCEDSTATUSCODES", "HELP"):
        assert c in caps, lines
    return caps


def send_one(s, code, body=None):
    """Greeting, EHLO, MAIL from joe, RCPT a@x.org, then the message (MSG1
    unless body) whose end of data must get code: the reply lines."""
    greet_and_ehlo(s)
    s.cmd(b"MAIL FROM:<joe@example.org>", 250)
    s.cmd(b"RCPT TO:<a@x.org>", 250)
    return s.data(MSG1 if body is None else body, code)


def quit_ok(s):
    lines = s.cmd(b"QUIT", 221)
    assert lines[0].startswith("221 2.0.0 "), lines
    rc, rest, err = s.finish()
    assert rc == 0, err
    assert rest == b""
    return err


def test_two_messages_with_rset(smtps, config_for, session):
    s = session(config_for(smtps))
    greet_and_ehlo(s)
    assert s.cmd(b"MAIL FROM:<joe@example.org>", 250) == ["250 2.1.0 Ok"]
    assert s.cmd(b"RCPT TO:<a@x.org>", 250) == ["250 2.1.5 Ok"]
    s.cmd(b"RCPT TO:<b@y.org>", 250)
    lines = s.data(MSG1, 250)
    assert lines[0].startswith("250 2.0.0 "), lines
    # A transaction abandoned with RSET leaves nothing behind.
    s.cmd(b"MAIL FROM:<joe@example.org>", 250)
    s.cmd(b"RCPT TO:<never@x.org>", 250)
    assert s.cmd(b"RSET", 250) == ["250 2.0.0 Ok"]
    s.cmd(b"MAIL FROM:<other@example.net>", 250)
    s.cmd(b"RCPT TO:<c@z.org>", 250)
    s.data(MSG2, 250)
    s.cmd(b"NOOP", 250)
    quit_ok(s)
    smtps.settle()
    assert len(smtps.messages) == 2, smtps.commands
    m1, m2 = smtps.messages
    assert (m1.mail_from, m1.rcpt_tos) == ("joe@example.org",
                                           ["a@x.org", "b@y.org"])
    assert m1.content == MSG1
    assert (m2.mail_from, m2.rcpt_tos) == ("other@example.net", ["c@z.org"])
    assert m2.content == MSG2
    assert b"never@x.org" not in b"".join(smtps.commands)
    # Each message its own upstream session, each fully authenticated.
    assert smtps.connections == 2
    assert [s.tls_at_auth for s in smtps.sessions] == [[True], [True]]


def test_pipelined_all_at_once(smtps, config_for, run):
    """Every command written before any reply is read (PIPELINING, and
    the scripted input some callers use); LF line ends are tolerated."""
    script = (b"EHLO client.example\r\n"
              b"MAIL FROM:<joe@example.org> BODY=8BITMIME SIZE=200\r\n"
              b"RCPT TO:<a@x.org>\r\n"
              b"DATA\r\n" + stuff(DOTS) +
              b"RSET\r\n"
              b"MAIL FROM:<joe@example.org>\n"
              b"RCPT TO:<b@y.org>\n"
              b"RCPT TO:<c@z.org>\n"
              b"DATA\n" + stuff(LF_MSG).replace(b"\r\n", b"\n") +
              b"QUIT\r\n")
    r = run(["-bs"], script, config_for(smtps))
    assert r.returncode == 0, show(r)
    codes = [c for c, _ in parse_replies(r.stdout)]
    assert codes == [220, 250, 250, 250, 354, 250, 250,
                     250, 250, 250, 354, 250, 221], r.stdout
    smtps.settle()
    assert len(smtps.messages) == 2
    m1, m2 = smtps.messages
    assert m1.rcpt_tos == ["a@x.org"]
    # Un-dot-stuffed by stamp, stuffed again upstream: the lone dot line
    # and "..x" arrive as they were meant.
    assert m1.content == DOTS
    assert sorted(m2.rcpt_tos) == ["b@y.org", "c@z.org"]
    assert m2.content == R.crlf(LF_MSG)


def test_refused_recipient_then_next_message(make_server, config_for,
                                             session):
    srv = make_server("smtps", replies={
        "RCPT": lambda a: ("550 5.1.1 <%s>: user unknown" % a
                           if a == "nobody@x.org" else None)})
    s = session(config_for(srv))
    greet_and_ehlo(s)
    s.cmd(b"MAIL FROM:<joe@example.org>", 250)
    s.cmd(b"RCPT TO:<a@x.org>", 250)
    s.cmd(b"RCPT TO:<nobody@x.org>", 250)    # known only upstream
    lines = s.data(MSG1, 550)
    assert lines[0].startswith("550 5.1.1 "), lines
    assert "nobody@x.org" in lines[0] and "user unknown" in lines[0], lines
    # All recipients or none: a@x.org did not get it either.  The session
    # goes on, and the next message is sent.
    s.cmd(b"MAIL FROM:<joe@example.org>", 250)
    s.cmd(b"RCPT TO:<a@x.org>", 250)
    s.data(MSG1, 250)
    err = quit_ok(s)
    assert b"nobody@x.org" in err            # stamp's error line
    srv.settle()
    assert len(srv.messages) == 1
    assert srv.messages[0].rcpt_tos == ["a@x.org"]


@pytest.mark.parametrize("stage,reply", [
    ("MAIL", "451 4.3.0 try again later"),
    ("RCPT", "450 4.2.1 mailbox busy"),
    ("DATA", "452 4.3.1 insufficient storage"),
])
def test_upstream_4xx_is_451(make_server, config_for, session, stage, reply):
    srv = make_server("smtps", replies={stage: reply})
    s = session(config_for(srv))
    lines = send_one(s, 451)
    assert lines[0].startswith("451 4.3.0 "), lines
    assert reply in lines[0], lines
    quit_ok(s)
    srv.settle()
    assert srv.messages == []


def test_wrong_password_is_554(smtps, config_for, session):
    s = session(config_for(smtps, password="not-the-password"))
    lines = send_one(s, 554)
    assert lines[0].startswith("554 5.7.0 "), lines
    assert "535" in lines[0], lines
    err = quit_ok(s)
    assert b"not-the-password" not in err
    assert smtps.messages == []


def test_connection_refused_is_451(smtps, config_for, session, closed_port):
    s = session(config_for(smtps, port=closed_port))
    lines = send_one(s, 451)
    assert lines[0].startswith("451 4.3.0 "), lines
    quit_ok(s)


def test_config_error_is_451_and_session_goes_on(tmp_path, session):
    """No configuration: each message is refused for now (4.3.5, retry
    once stamp is configured); the session itself still works."""
    s = session(tmp_path / "missing.ini")
    lines = send_one(s, 451)
    assert lines[0].startswith("451 4.3.5 "), lines
    assert "missing.ini" in lines[0], lines
    s.cmd(b"MAIL FROM:<joe@example.org>", 250)
    quit_ok(s)


def test_command_errors(smtps, config_for, session):
    s = session(config_for(smtps))
    greet_and_ehlo(s)
    s.cmd(b"RCPT TO:<a@x.org>", 503)
    s.cmd(b"DATA", 503)
    s.cmd(b"FROBNICATE", 500)
    s.cmd(b"EXPN staff", 502)
    s.cmd(b"MAIL FROM:joe@example.org>", 501)
    s.cmd(b"MAIL FROM:<joe@example.org> FOO=BAR", 555)
    s.cmd(b"MAIL FROM:<joe@example.org>", 250)
    s.cmd(b"MAIL FROM:<joe@example.org>", 503)
    s.cmd(b"RCPT TO:<a@x.org, b@y.org>", 501)
    s.cmd(b"DATA", 503)
    s.cmd(b"VRFY joe", 252)
    s.cmd(b"HELP", 214)
    s.cmd(b"HELO client.example", 250)      # resets the transaction
    s.cmd(b"RCPT TO:<a@x.org>", 503)
    s.cmd(b"N" * 2000, 500)
    quit_ok(s)
    smtps.settle()
    assert smtps.connections == 0


def test_long_data_line_refused_in_step(smtps, config_for, session):
    s = session(config_for(smtps))
    lines = send_one(s, 500,
                     b"Subject: long\r\n\r\n" + b"x" * 70000 + b"\r\n")
    assert lines[0].startswith("500 5.5.2 "), lines
    s.cmd(b"NOOP", 250)                      # still in step
    quit_ok(s)
    smtps.settle()
    assert smtps.connections == 0


def test_large_message_exact(smtps, config_for, run):
    """Past the memory spool (256 KiB): the temp-file path, byte exact."""
    body = b"".join(b"%s line %06d \xc3\xa9\r\n" % (
        b"." if i % 5 == 0 else b"", i) for i in range(20000))
    msg = (b"From: Joe <joe@example.org>\r\n" + DATE +
           b"Message-ID: <bs.big@example.org>\r\nSubject: big\r\n\r\n" +
           body)
    assert len(msg) > 256 * 1024
    script = (b"EHLO c\r\nMAIL FROM:<joe@example.org>\r\n"
              b"RCPT TO:<a@x.org>\r\nDATA\r\n" + stuff(msg) + b"QUIT\r\n")
    r = run(["-bs"], script, config_for(smtps))
    assert r.returncode == 0, show(r)
    assert [c for c, _ in parse_replies(r.stdout)] == [220, 250, 250, 250,
                                                       354, 250, 221]
    smtps.settle()
    assert len(smtps.messages) == 1
    assert smtps.messages[0].content == msg


def test_eof_ends_session(smtps, config_for, run):
    """EOF without QUIT: exit 0; a message whose data was not finished
    is not sent."""
    script = (b"EHLO c\r\nMAIL FROM:<joe@example.org>\r\n"
              b"RCPT TO:<a@x.org>\r\nDATA\r\n" + stuff(MSG1) +
              b"MAIL FROM:<joe@example.org>\r\nRCPT TO:<b@y.org>\r\n"
              b"DATA\r\nSubject: cut short\r\n")
    r = run(["-bs"], script, config_for(smtps))
    assert r.returncode == 0, show(r)
    assert [c for c, _ in parse_replies(r.stdout)] == [220, 250, 250, 250,
                                                       354, 250, 250, 250,
                                                       354]
    smtps.settle()
    assert len(smtps.messages) == 1
    assert smtps.messages[0].rcpt_tos == ["a@x.org"]


def test_verbose_keeps_stdout_clean(smtps, config_for, run):
    """-v: the transcripts (ours and upstream's) go to stderr; stdout
    carries nothing but replies."""
    script = (b"EHLO c\r\nMAIL FROM:<joe@example.org>\r\n"
              b"RCPT TO:<a@x.org>\r\nDATA\r\n" + stuff(MSG1) + b"QUIT\r\n")
    r = run(["-bs", "-v"], script, config_for(smtps))
    assert r.returncode == 0, show(r)
    assert [c for c, _ in parse_replies(r.stdout)] == [220, 250, 250, 250,
                                                       354, 250, 221]
    err = r.stderr.decode("utf-8", "replace").splitlines()
    assert "<< MAIL FROM:<joe@example.org>" in err, err
    assert "-> AUTH PLAIN <redacted>" in err, err
    assert any(l.startswith("<- 220") for l in err), err
    for where in (r.stdout, r.stderr):
        assert R.PASSWORD.encode() not in where


def test_body_8bitmime(smtps, config_for, run):
    msg = (b"From: Joe <joe@example.org>\r\n" + DATE +
           b"Message-ID: <bs.8bit@example.org>\r\nSubject: caf\xc3\xa9\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n"
           b"Content-Transfer-Encoding: 8bit\r\n\r\ncaf\xc3\xa9\r\n")
    script = (b"EHLO c\r\nMAIL FROM:<joe@example.org> BODY=8BITMIME\r\n"
              b"RCPT TO:<a@x.org>\r\nDATA\r\n" + stuff(msg) + b"QUIT\r\n")
    r = run(["-bs"], script, config_for(smtps))
    assert r.returncode == 0, show(r)
    smtps.settle()
    m, = smtps.messages
    assert m.content == msg
    assert "BODY=8BITMIME" in [o.upper() for o in m.mail_options]


def test_one_syslog_line_per_message(make_server, config_for, run_syslog):
    srv = make_server("smtps", replies={
        "RCPT": lambda a: "550 5.1.1 unknown" if a == "bad@x.org" else None})
    script = (b"EHLO c\r\n"
              b"MAIL FROM:<joe@example.org>\r\nRCPT TO:<a@x.org>\r\n"
              b"DATA\r\n" + stuff(MSG1) +
              b"MAIL FROM:<joe@example.org>\r\nRCPT TO:<bad@x.org>\r\n"
              b"DATA\r\n" + stuff(MSG2) +
              b"NOOP\r\nQUIT\r\n")
    r = run_syslog(["-bs"], script, config_for(srv))
    assert r.returncode == 0, show(r)
    assert [c for c, _ in parse_replies(r.stdout)] == [
        220, 250, 250, 250, 354, 250, 250, 250, 354, 550, 250, 221]
    fields = [parse_log_line(parse_datagram(d)["msg"]) for d in r.syslog]
    assert [(f["recipients"], f["exitcode"]) for f in fields] == [
        ("a@x.org", "EX_OK"), ("bad@x.org", "EX_NOUSER")], r.syslog
    assert fields[0]["msgid"] == "<bs.1@example.org>"
    assert fields[0]["mailsize"] == str(len(MSG1))


def test_no_config_needed_to_greet(env, stamp):
    """The session starts, and QUITs, without any configuration."""
    assert not os.path.exists(os.path.join(env["XDG_CONFIG_HOME"], "stamp"))
    r = R.run_stamp(["-bs"], b"QUIT\r\n", None, env, stamp=stamp)
    assert r.returncode == 0, show(r)
    assert [c for c, _ in parse_replies(r.stdout)] == [220, 221]
    assert r.stderr == b""
