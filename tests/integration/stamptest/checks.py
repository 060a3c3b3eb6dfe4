"""Assertions shared by the test files."""
from . import run as R

# A message with a From: header, so that the server must get it byte for
# byte (apart from CRLF line ends).
SIMPLE = (b"From: Joe <joe@example.org>\n"
          b"To: a@x.org\n"
          b"Subject: stamp integration test\n"
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
