"""Message fidelity: what the server receives (dot-unstuffed, CRLF) must be
the input with every line ending CRLF and a final line end added; nothing
else changes."""
import pytest

from stamptest import run as R
from stamptest.checks import (assert_exit, assert_sent, error_line,
                              one_message, words_in)

# With Date: and Message-ID:, so that stamp adds no field.
HDR = (b"From: joe@example.org\nTo: a@x.org\nSubject: body test\n"
       b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
       b"Message-ID: <body.1@example.org>\n\n")

CASES = {
    "lf": (HDR + b"line 1\nline 2\n",
           None),
    "crlf": (HDR.replace(b"\n", b"\r\n") + b"line 1\r\nline 2\r\n",
             None),
    "mixed-line-ends": (HDR + b"lf\ncrlf\r\nlf again\n",
                        None),
    "leading-dot": (HDR + b".leading dot\nmiddle\n.\n..two dots\n...\n",
                    None),
    "lone-dot-not-end": (HDR + b"before\n.\nafter the lone dot\n",
                         None),
    "lone-dot-last-line": (HDR + b"before\n.\n",
                           None),
    "lone-dot-crlf": (HDR.replace(b"\n", b"\r\n") + b"a\r\n.\r\nb\r\n",
                      None),
    # a final "." without newline is a lone-dot line, not the end of data
    "dot-no-final-newline": (HDR + b"x\n.", R.crlf(HDR) + b"x\r\n.\r\n"),
    "no-final-newline": (HDR + b"last line without newline",
                         None),
    "from-line-and-dots-like-a-patch": (
        HDR + b"From 1234 Mon Sep 17 00:00:00 2001\n"
              b"--- a/x\n+++ b/x\n@@ -1 +1 @@\n-.old\n+.new\n.\n-- \n2.39\n",
        None),
    "utf8": (b"From: joe@example.org\nTo: a@x.org\nSubject: =?utf-8?q?x?=\n"
             b"Content-Type: text/plain; charset=utf-8\n"
             b"Content-Transfer-Encoding: 8bit\n"
             b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
             b"Message-ID: <body.2@example.org>\n\n"
             + "Grüße, naïve café — ✓ 𝄞\n".encode("utf-8"),
             None),
    "latin1": (b"From: joe@example.org\nTo: a@x.org\nSubject: l1\n"
               b"Content-Type: text/plain; charset=iso-8859-1\n"
               b"Content-Transfer-Encoding: 8bit\n"
               b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
               b"Message-ID: <body.3@example.org>\n\n"
               + "Grüße café\xff\n".encode("latin-1"),
               None),
    "empty-body": (HDR, None),
    "blank-lines-at-end": (HDR + b"text\n\n\n", None),
    "trailing-whitespace-kept": (HDR + b"spaces   \ntab\t\n", None),
    "long-line-998": (HDR + b"x" * 998 + b"\n", None),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_body_fidelity(smtps, config_for, run, name):
    data, expected = CASES[name]
    if expected is None:
        expected = R.crlf(data)
    r = run(["a@x.org"], data, config_for(smtps))
    m = assert_sent(r, smtps, ["a@x.org"], expected)
    if any(b >= 0x80 for b in data):
        # DESIGN 4: BODY=8BITMIME when there are 8-bit bytes and the server
        # offers it (aiosmtpd does)
        assert "BODY=8BITMIME" in m.mail_options, m.mail_options


def big_message(size):
    """About size bytes of short lines, with lines that need dot-stuffing
    and 8-bit bytes scattered through, ending in a lone dot line."""
    out = [HDR]
    n = len(HDR)
    i = 0
    while n < size:
        if i % 97 == 0:
            line = b".dot line %d\n" % i
        elif i % 89 == 0:
            line = b".\n"
        elif i % 83 == 0:
            line = "ü line %d\n".encode() % i
        else:
            line = b"%08d " % i + b"abcdefghijklmnopqrstuvwxyz" * 2 + b"\n"
        out.append(line)
        n += len(line)
        i += 1
    out.append(b".\n")
    return b"".join(out)


def test_two_megabytes_through_a_pipe(smtps, config_for, run):
    data = big_message(2 * 1024 * 1024)
    r = run(["a@x.org"], data, config_for(smtps), timeout=60)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(data))


def test_two_megabytes_from_a_regular_file(smtps, config_for, run, tmp_path):
    """A regular file on stdin (read in place, msg.h)."""
    data = big_message(2 * 1024 * 1024 + 12345)
    p = tmp_path / "msg"
    p.write_bytes(data)
    with open(p, "rb") as f:
        r = run(["a@x.org"], config_path=config_for(smtps), stdin=f,
                timeout=60)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(data))


def test_regular_file_stdin_not_at_offset_zero(smtps, config_for, run,
                                               tmp_path):
    """sendmail reads from the current offset of its stdin, not from 0."""
    data = HDR + b"after the skipped prefix\n"
    p = tmp_path / "msg"
    p.write_bytes(b"SKIPPED PREFIX\n" + data)
    with open(p, "rb") as f:
        f.seek(len(b"SKIPPED PREFIX\n"))
        r = run(["a@x.org"], config_path=config_for(smtps), stdin=f)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(data))


def test_line_over_998_octets_is_not_lost(smtps, config_for, run):
    """DESIGN 4 (long_lines = encode, the default): a single-part message
    with a line over 998 octets (cron output has them) is re-encoded as
    quoted-printable; the reader gets the same text back."""
    import email
    import email.policy
    text = ("short line\n" + "x" * 3000 + "\n" + "Grüße " * 400 + "\nend\n")
    msg = (b"From: joe@example.org\nTo: a@x.org\nSubject: long\n"
           b"Content-Type: text/plain; charset=utf-8\n"
           b"Content-Transfer-Encoding: 8bit\n\n" + text.encode())
    r = run(["a@x.org"], msg, config_for(smtps))
    m = one_message(r, smtps)
    assert all(len(l) <= 998 for l in m.content.split(b"\r\n"))
    parsed = email.message_from_bytes(m.content, policy=email.policy.default)
    assert parsed["Subject"] == "long"
    assert parsed["From"] == "joe@example.org"
    assert parsed.get_content().replace("\r\n", "\n") == text


# -- long_lines (DESIGN 4): lines over 998 octets --------------------------


def test_size_declared_for_quoted_printable_body(smtps, config_for, run):
    """SIZE= (RFC 1870) counts the body as it is sent: quoted-printable
    can be three times the input, and must not be understated."""
    text = "Gr\u00fc\u00dfe = " * 300 + "\r\nend\r\n"
    msg = (b"From: joe@example.org\r\nTo: a@x.org\r\nSubject: s\r\n"
           b"Date: Sun, 22 Nov 2026 06:00:00 +0000\r\n"
           b"Message-ID: <qp.size@example.org>\r\n"
           b"Content-Type: text/plain; charset=utf-8\r\n\r\n"
           + text.encode())
    r = run(["a@x.org"], msg, config_for(smtps))
    m = one_message(r, smtps)
    size = [p for p in m.mail_params if p.upper().startswith("SIZE=")]
    assert size == ["SIZE=%d" % len(m.content)], (size, len(m.content))
    assert len(m.content) > 2 * len(msg)

def decoded_body(content):
    """The body of a received message (CRLF) as its reader gets it: the
    transfer encoding undone (quoted-printable, or none)."""
    import email
    import email.policy
    parsed = email.message_from_bytes(content, policy=email.policy.default)
    return parsed, parsed.get_payload(decode=True)


def assert_qp_lossless(m, body):
    """m was re-encoded: every line within 76 octets, Content-Transfer-
    Encoding: quoted-printable, and decoding gives body back (CRLF)."""
    head, _, wire_body = m.content.partition(b"\r\n\r\n")
    lines = wire_body.split(b"\r\n")
    assert all(len(l) <= 76 for l in lines), wire_body
    # RFC 2045 6.7 (3): transports may drop white space at a line's end
    assert not any(l.endswith((b" ", b"\t")) for l in lines), wire_body
    assert all(b < 0x80 for b in wire_body)
    assert b"\r\nContent-Transfer-Encoding: quoted-printable\r\n" in (
        head + b"\r\n")
    parsed, got = decoded_body(m.content)
    assert parsed["Content-Transfer-Encoding"] == "quoted-printable"
    assert got == R.crlf(body)
    return parsed


@pytest.mark.parametrize("name,body", [
    ("utf8-long", ("Grüße, naïve café ✓ 𝄞 " * 80 + "\n").encode()),
    ("999", b"before\n" + b"y" * 999 + b"\nafter\n"),
    ("trailing-space", b"x" * 1200 + b" \nnext line\t\n \n"),
    ("equals", b"a=b==c =\n" + b"=" * 1100 + b"\n=20 literally\n"),
    ("dots-and-from", b".\n." + b"d" * 1500 + b"\n..\nFrom here\n"),
    ("controls-and-nul", b"esc \x1b[1m\x00\x7f " + b"z" * 1000 + b"\n"),
    ("no-final-newline", b"w" * 2000),
])
def test_long_line_body_encoded(smtps, config_for, run, name, body):
    """A single-part body with a line over 998 octets goes quoted-printable
    (MIME-Version added, Content-Type: text/plain; charset=utf-8 when the
    body has 8-bit bytes and no Content-Type); the header is kept."""
    head = HDR[:-1]
    r = run(["a@x.org"], head + b"\n" + body, config_for(smtps))
    m = one_message(r, smtps)
    parsed = assert_qp_lossless(m, body)
    assert parsed["MIME-Version"] == "1.0"
    eight = any(b >= 0x80 for b in body)
    assert m.content.startswith(R.crlf(head) + b"MIME-Version: 1.0\r\n" + (
        b"Content-Type: text/plain; charset=utf-8\r\n" if eight else b"") +
        b"Content-Transfer-Encoding: quoted-printable\r\n\r\n")


def test_long_line_crlf_input_8bit_field_replaced(smtps, config_for, run):
    """CRLF input; an existing Content-Transfer-Encoding: 8bit is replaced
    where it is, Content-Type and MIME-Version kept."""
    head = (b"From: joe@example.org\r\nTo: a@x.org\r\nSubject: crlf\r\n"
            b"MIME-Version: 1.0\r\n"
            b"Content-Type: text/plain; charset=iso-8859-1\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n"
            b"Date: Sun, 22 Nov 2026 06:00:00 +0000\r\n"
            b"Message-ID: <body.4@example.org>\r\n\r\n")
    body = b"caf\xe9\r\n" + b"\xe9" * 1000 + b"\r\nend\r\n"
    r = run(["a@x.org"], head + body, config_for(smtps))
    m = one_message(r, smtps)
    assert_qp_lossless(m, body)
    assert m.content.startswith(head.replace(
        b"Encoding: 8bit", b"Encoding: quoted-printable"))


def test_line_of_998_octets_goes_as_it_is(smtps, config_for, run):
    data = HDR + b"x" * 998 + b"\n" + b"." + b"y" * 997 + b"\n"
    r = run(["a@x.org"], data, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(data))


def test_long_lines_refuse(smtps, config_for, run):
    """long_lines = refuse: 65, the line named, nothing sent."""
    data = HDR + b"ok\n" + b"x" * 999 + b"\n"
    r = run(["a@x.org"], data, config_for(smtps, long_lines="refuse"))
    assert_exit(r, 65)
    words_in(error_line(r), "line 8 ", "999 octets", "998", "long_lines")
    smtps.settle()
    assert smtps.connections == 0
    assert smtps.messages == []
    # within the limit, refuse sends as usual
    data = HDR + b"x" * 998 + b"\n"
    r = run(["a@x.org"], data, config_for(smtps, long_lines="refuse"))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(data))


def test_long_lines_pass(make_server, config_for, run):
    """long_lines = pass: as it is, and the server decides.  aiosmtpd takes
    lines of up to 999 octets and answers longer ones with 500 at the end
    of data (as strict servers do): a 5xx, so 69, and nothing delivered."""
    srv = make_server("smtps")
    data = HDR + b"y" * 999 + b"\n"
    r = run(["a@x.org"], data, config_for(srv, long_lines="pass"))
    assert_sent(r, srv, ["a@x.org"], R.crlf(data))
    srv2 = make_server("smtps")
    data = HDR + b"y" * 3000 + b"\n"
    r = run(["a@x.org"], data, config_for(srv2, long_lines="pass"))
    assert_exit(r, 69)
    words_in(error_line(r), "500", "too long")
    srv2.settle()
    assert srv2.messages == []


MULTIPART = (b"From: joe@example.org\nTo: a@x.org\nSubject: mp\n"
             b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
             b"Message-ID: <body.5@example.org>\nMIME-Version: 1.0\n"
             b"Content-Type: multipart/mixed; boundary=\"b\"\n\n"
             b"--b\nContent-Type: text/plain\n\n%s\n--b--\n")


def test_long_line_multipart_goes_as_it_is(make_server, config_for, run):
    """encode only re-encodes a single part: a multipart message goes as
    it is (a 999-octet line: aiosmtpd takes it, byte for byte), and the
    server decides (3000 octets: aiosmtpd's 500, 69)."""
    srv = make_server("smtps")
    data = MULTIPART % (b"m" * 999)
    r = run(["a@x.org"], data, config_for(srv))
    assert_sent(r, srv, ["a@x.org"], R.crlf(data))
    srv2 = make_server("smtps")
    r = run(["a@x.org"], MULTIPART % (b"m" * 3000), config_for(srv2))
    assert_exit(r, 69)
    srv2.settle()
    assert srv2.messages == []


def test_long_line_base64_part_goes_as_it_is(smtps, config_for, run):
    data = HDR[:-1] + b"Content-Transfer-Encoding: base64\n\n" + (
        b"QUJD" * 249) + b"QUJ\n"     # 999 octets: aiosmtpd takes it
    r = run(["a@x.org"], data, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(data))


def test_long_line_from_a_regular_file(smtps, config_for, run, tmp_path):
    """Read in place (msg.h): the long line is found all the same, also
    past the in-memory size and far from the start."""
    body = big_message(600 * 1024)[len(HDR):] + b"L" * 5000 + b"\nend\n"
    p = tmp_path / "msg"
    p.write_bytes(HDR + body)
    with open(p, "rb") as f:
        r = run(["a@x.org"], config_path=config_for(smtps), stdin=f,
                timeout=60)
    assert_qp_lossless(one_message(r, smtps), body)


def test_long_line_through_bs(smtps, config_for, run):
    """-bs (symfony/mailer's default) goes the same way: a 5000-octet line
    in the DATA of the dialogue is re-encoded, not refused upstream."""
    body = b"k" * 5000 + b"\r\n"
    script = (b"EHLO client.example\r\nMAIL FROM:<joe@example.org>\r\n"
              b"RCPT TO:<a@x.org>\r\nDATA\r\n" + R.crlf(HDR) + body +
              b".\r\nQUIT\r\n")
    r = run(["-bs"], script, config_for(smtps))
    assert_exit(r, 0)
    assert b"\r\n250 " in r.stdout.split(b"354", 1)[1]
    smtps.settle()
    assert len(smtps.messages) == 1
    assert_qp_lossless(smtps.messages[0], body)
