"""Assertions shared by the test files."""
import datetime
import email.utils
import re

from . import run as R

# A message with From:, Date: and Message-ID: headers (stamp adds those
# that are missing), so that the server must get it byte for byte (apart
# from CRLF line ends).
SIMPLE = (b"From: Joe <joe@example.org>\n"
          b"To: a@x.org\n"
          b"Subject: stamp integration test\n"
          b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
          b"Message-ID: <simple.1@example.org>\n"
          b"\n"
          b"Hello,\n"
          b"this is a test.\n")


def show(r):
    """Context for assertion messages."""
    return "\nexit %s\nstdout: %r\nstderr: %s" % (
        r.returncode, r.stdout, r.stderr.decode("utf-8", "replace"))


def assert_exit(r, code):
    assert r.returncode == code, "expected exit %d" % code + show(r)


def one_message(r, srv):
    """Exit 0 and exactly one message on srv: return it."""
    assert_exit(r, 0)
    srv.settle()
    assert len(srv.messages) == 1, "server got %d messages" % len(
        srv.messages) + show(r)
    return srv.messages[0]


def assert_sent(r, srv, rcpts, content, mail_from=R.FROM):
    """Exit 0 and exactly one message on srv, as expected."""
    m = one_message(r, srv)
    assert m.mail_from == mail_from
    assert sorted(m.rcpt_tos) == sorted(rcpts)
    assert len(m.rcpt_tos) == len(set(m.rcpt_tos)), "duplicate RCPT"
    assert m.content == content
    return m


def error_line(r):
    """The one stderr line of a failed run (without -v)."""
    lines = [l for l in r.stderr.decode("utf-8", "replace").splitlines()
             if l.strip()]
    assert len(lines) == 1, "expected one stderr line" + show(r)
    assert lines[0].startswith("stamp: "), show(r)
    return lines[0]


def words_in(line, *alternatives):
    """Each argument is a word or a tuple of alternatives; all must occur
    (case-insensitive)."""
    low = line.lower()
    for w in alternatives:
        opts = w if isinstance(w, tuple) else (w,)
        assert any(o.lower() in low for o in opts), (
            "none of %r in %r" % (opts, line))


# What stamp adds to a message without them (RFC 5322 3.6): a Date: in
# local time with a numeric zone and a Message-ID: "<" UTC time "." pid "."
# 16 hex digits "@" domain ">", as the last header fields, in this order.
DATE_FIELD = re.compile(
    rb"Date: (Mon|Tue|Wed|Thu|Fri|Sat|Sun), ([1-9]|[12][0-9]|3[01]) "
    rb"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [0-9]{4} "
    rb"[0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}\r\n\Z")
MSGID_FIELD = re.compile(
    rb"Message-ID: (<[0-9]{14}\.[0-9]+\.[0-9a-f]{16}@([A-Za-z0-9.-]+)>)"
    rb"\r\n\Z")


def _last_field(head, pattern):
    """head ends with a field matching pattern: (head without it, match)."""
    start = head.rfind(b"\r\n", 0, len(head) - 2)
    start = 0 if start == -1 else start + 2
    m = pattern.match(head[start:])
    assert m, "expected %r as the last header field, got %r" % (
        pattern.pattern[:20], head[start:])
    return head[:start], m


def strip_added(content, date=True, msgid=True, domain=None):
    """Check the Date: and Message-ID: fields that stamp added to content
    (as received: CRLF) and return (content without them, the Message-ID).
    The Date: must parse back to within two minutes of now; the
    Message-ID's right part must be domain when given."""
    end = content.find(b"\r\n\r\n")
    end = len(content) if end == -1 else end + 2
    head, rest, msg_id = content[:end], content[end:], None
    if msgid:
        head, m = _last_field(head, MSGID_FIELD)
        msg_id = m.group(1).decode()
        if domain is not None:
            assert m.group(2).decode() == domain, msg_id
    if date:
        head, m = _last_field(head, DATE_FIELD)
        when = email.utils.parsedate_to_datetime(
            m.group(0)[6:-2].decode())
        now = datetime.datetime.now(datetime.timezone.utc)
        assert abs((when - now).total_seconds()) < 120, m.group(0)
    return head + rest, msg_id
