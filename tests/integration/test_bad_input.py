"""Bad input (issue 4): every odd or hostile message and argument gets
either a correct delivery, asserted byte for byte, or a clear 65/64 with
nothing sent.  No SMTP command injection, ever: where an address is
refused, the server is never even contacted."""
import email
import email.policy
import time

import pytest

from stamptest import run as R
from stamptest.checks import (SIMPLE, assert_exit, assert_sent, error_line,
                              one_message, strip_added, words_in)

DATE = b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
MSGID = b"Message-ID: <bad.1@example.org>\n"
# From:, Date: and Message-ID: present: stamp adds no field.
HEAD = b"From: joe@example.org\nTo: a@x.org\nSubject: bad input\n" + \
    DATE + MSGID
HDR_SECTION_MAX = 1024 * 1024          # hdr.h


def assert_nothing_sent(r, srv, code, *words):
    """Exit code, one stderr line naming the problem, and the server never
    contacted (every refusal here comes before connecting)."""
    assert_exit(r, code)
    if words:
        words_in(error_line(r), *words)
    else:
        error_line(r)
    srv.settle()
    assert srv.connections == 0
    assert srv.messages == []


# -- empty, headless, bodiless ---------------------------------------------

def test_empty_stdin_is_delivered(smtps, config_for, run):
    """As sendmail and msmtp: an empty message goes, with the fields RFC
    5322 wants added (From:, Date:, Message-ID:) and nothing else."""
    r = run(["a@x.org"], b"", config_for(smtps))
    m = one_message(r, smtps)
    rest, _ = strip_added(m.content)
    assert rest == b"From: joe@example.org\r\n"


def test_empty_stdin_with_t_has_no_recipients(smtps, config_for, run):
    r = run(["-t"], b"", config_for(smtps))
    assert_nothing_sent(r, smtps, 64, "no recipients")


def test_no_recipients_comes_before_no_sender(smtps, config_for, run):
    """"stamp" with no argument, on an account without from: the usage
    error (64), not what the account lacks (78)."""
    r = run([], SIMPLE, config_for(smtps, from_=None))
    assert_nothing_sent(r, smtps, 64, "no recipients")


def test_no_blank_line_before_the_body(smtps, config_for, run):
    """The body starts at the first line that is not a field: a blank line
    is put before it, so that no reader takes it for a header."""
    data = HEAD + b"first body line\nsecond: looks like a field\n"
    r = run(["a@x.org"], data, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(HEAD) + b"\r\n" +
                b"first body line\r\nsecond: looks like a field\r\n")


@pytest.mark.parametrize("end", [b"\n", b"", b"\r\n"])
def test_headers_only(smtps, config_for, run, end):
    data = HEAD + b"X-Last: field" + end
    r = run(["a@x.org"], data, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(data))


# -- line ends --------------------------------------------------------------

def test_bare_cr_and_bare_lf_in_the_body(smtps, config_for, run):
    """Bare LF and bare CR are line ends: each becomes CRLF (RFC 5321 2.3.8
    forbids them on the wire), a CR LF stays one line end."""
    data = HEAD + b"\nlf\ncr\rcrlf\r\ncr-cr\r\rlf-cr\n\rend"
    r = run(["a@x.org"], data, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(HEAD) + b"\r\n" +
                b"lf\r\ncr\r\ncrlf\r\ncr-cr\r\n\r\nlf-cr\r\n\r\nend\r\n")


def test_message_with_bare_cr_line_ends_only(smtps, config_for, run):
    """Old Mac line ends everywhere: the header section is read as the
    server will see it, so -t finds the recipients, Bcc goes, and the
    added fields land in the header, not in the body."""
    data = (b"From: joe@example.org\rTo: a@x.org\rBcc: hidden@x.org\r"
            b"Subject: cr\r\rline 1\r.\rline 3\r")
    r = run(["-t"], data, config_for(smtps))
    m = one_message(r, smtps)
    assert sorted(m.rcpt_tos) == ["a@x.org", "hidden@x.org"]
    rest, _ = strip_added(m.content)
    assert rest == (b"From: joe@example.org\r\nTo: a@x.org\r\nSubject: cr"
                    b"\r\n\r\nline 1\r\n.\r\nline 3\r\n")


def test_bcc_behind_a_bare_cr_is_not_transmitted(smtps, config_for, run):
    """A field after a bare CR is a field on the wire: so it is here."""
    data = HEAD.replace(b"Subject: bad input\n",
                        b"Subject: x\rBcc: hidden@x.org\n") + b"\nbody\n"
    r = run(["-t"], data, config_for(smtps))
    m = one_message(r, smtps)
    assert sorted(m.rcpt_tos) == ["a@x.org", "hidden@x.org"]
    assert b"hidden" not in m.content
    assert m.content == R.crlf(data.replace(b"\rBcc: hidden@x.org", b""))


def test_bare_cr_before_a_dropped_bcc_keeps_the_blank_line(smtps, config_for,
                                                         run):
    """A bare CR line end, a Bcc (not transmitted), the blank line: the
    blank line must not merge with the CR into one CRLF, else the body
    would be read as header."""
    data = HEAD + b"X-Cr: y\rBcc: hidden@x.org\n\nBody: not a field\n"
    r = run(["a@x.org"], data, config_for(smtps))
    m = assert_sent(r, smtps, ["a@x.org"], R.crlf(HEAD) +
                    b"X-Cr: y\r\n\r\nBody: not a field\r\n")
    parsed = email.message_from_bytes(m.content, policy=email.policy.default)
    assert parsed["Body"] is None
    assert parsed.get_content().replace("\r\n", "\n") == "Body: not a field\n"


# -- NUL and invalid UTF-8 --------------------------------------------------

def test_nul_in_the_body_goes_as_it_is(smtps, config_for, run):
    """A NUL in the body is data (RFC 5322 forbids it, servers mostly take
    it; refusing would lose the message): passed through."""
    data = HEAD + b"\nbefore\x00after\n\x00\n"
    r = run(["a@x.org"], data, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(data))


@pytest.mark.parametrize("data", [
    b"From: joe@example.org\nSubject: a\x00b\n\nbody\n",
    b"From: joe@example.org\n\x00Subject: x\n\nbody\n",
    b"From: joe@example.org\nSubject: x\n \x00folded\n\nbody\n",
    b"Subj\x00ect: x\n\nbody\n",
])
def test_nul_in_the_header_section_is_dataerr(smtps, config_for, run, data):
    r = run(["a@x.org"], data, config_for(smtps))
    assert_nothing_sent(r, smtps, 65, "NUL")


def test_invalid_utf8_is_passed_through(smtps, config_for, run):
    """Bytes that are not UTF-8 in a header and in the body go as they
    are, declared 8BITMIME (and SMTPUTF8, for the header)."""
    data = (HEAD.replace(b"bad input", b"bad \xff\xfe \xc3(") +
            b"\nbody \xc0\xaf \xed\xa0\x80 \xf8\x88\x80\x80\x80\n")
    r = run(["a@x.org"], data, config_for(smtps))
    m = assert_sent(r, smtps, ["a@x.org"], R.crlf(data))
    assert "BODY=8BITMIME" in m.mail_options


# -- the header section's ceiling -------------------------------------------

def big_header(total):
    """A header section of exactly total octets (separator included), of
    short lines, followed by a body."""
    head = HEAD
    n = 0
    fields = []
    room = total - len(head) - 1
    while room - n > 0:
        k = min(900, room - n)
        if k < 12:                     # too short for a field: widen one
            fields[-1] = fields[-1][:-1] + b"y" * k + b"\n"
            break
        fields.append(b"X-F%05d: " % len(fields) + b"x" * (k - 11) + b"\n")
        n += k
    h = head + b"".join(fields) + b"\n"
    assert len(h) == total
    return h + b"body\n"


def test_header_section_at_its_ceiling_is_delivered(smtps, config_for, run):
    data = big_header(HDR_SECTION_MAX)
    r = run(["a@x.org"], data, config_for(smtps), timeout=60)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(data))


def test_header_section_over_its_ceiling_is_dataerr(smtps, config_for, run):
    data = big_header(HDR_SECTION_MAX + 1)
    r = run(["a@x.org"], data, config_for(smtps), timeout=60)
    assert_nothing_sent(r, smtps, 65, "header section", "1048576")


# -- long header lines ------------------------------------------------------

def long_to(n):
    return b"To: " + b", ".join(b"u%04d@x.org" % i for i in range(n))


def test_long_header_line_is_folded(smtps, config_for, run):
    """long_lines = encode: a header line over 998 octets is folded at
    white space (RFC 5322 2.2.3); unfolding gives the same field back."""
    to = long_to(300)                  # 3896 octets on one line
    data = HEAD.replace(b"To: a@x.org", to) + b"\nbody\n"
    r = run(["-t"], data, config_for(smtps))
    m = one_message(r, smtps)
    assert len(m.rcpt_tos) == 300
    head = m.content.partition(b"\r\n\r\n")[0]
    assert max(len(l) for l in head.split(b"\r\n")) <= 998
    assert head.replace(b"\r\n ", b" ") + b"\r\n" == R.crlf(
        HEAD.replace(b"To: a@x.org", to))
    parsed = email.message_from_bytes(m.content, policy=email.policy.default)
    assert len(parsed["To"].addresses) == 300


def test_long_header_line_refused(smtps, config_for, run):
    data = HEAD.replace(b"To: a@x.org", long_to(100)) + b"\nbody\n"
    r = run(["a@x.org"], data, config_for(smtps, long_lines="refuse"))
    assert_nothing_sent(r, smtps, 65, "header field To", "long_lines")


def test_long_header_line_passed(make_server, config_for, run):
    """long_lines = pass: the line goes as it is (999 octets: aiosmtpd
    takes it, byte for byte)."""
    srv = make_server("smtps")
    data = HEAD + b"X-Long: " + b"v " * 494 + b"end\n\nbody\n"
    r = run(["a@x.org"], data, config_for(srv, long_lines="pass"))
    assert_sent(r, srv, ["a@x.org"], R.crlf(data))


# -- many recipients --------------------------------------------------------

N_RCPTS = 10000


def rcpt_list(n=N_RCPTS):
    return ["r%05d@x.org" % i for i in range(n)]


def assert_one_transaction(r, srv, rcpts, started):
    m = one_message(r, srv)
    assert sorted(m.rcpt_tos) == sorted(rcpts)
    assert srv.verbs().count("MAIL") == 1
    assert srv.verbs().count("RCPT") == len(rcpts)
    assert srv.verbs().count("DATA") == 1
    # 10,000 RCPTs in lockstep over loopback: a few seconds
    assert time.monotonic() - started < 30
    return m


def test_ten_thousand_recipients_on_argv(smtps, config_for, run):
    rcpts = rcpt_list()
    started = time.monotonic()
    r = run(rcpts, SIMPLE, config_for(smtps), timeout=60)
    m = assert_one_transaction(r, smtps, rcpts, started)
    assert m.content == R.crlf(SIMPLE)


def test_ten_thousand_recipients_with_t(smtps, config_for, run):
    """Half in one To: line (folded on the way), half in folded Cc: lines
    as a mail program writes them; Bcc too."""
    rcpts = rcpt_list()
    to = b"To: " + ", ".join(rcpts[:5000]).encode() + b"\n"
    cc = b"Cc: " + ",\n ".join(rcpts[5000:9990]).encode() + b"\n"
    bcc = b"Bcc: " + ", ".join(rcpts[9990:]).encode() + b"\n"
    data = (b"From: joe@example.org\n" + to + cc + bcc + b"Subject: many\n" +
            DATE + MSGID + b"\nbody\n")
    started = time.monotonic()
    r = run(["-t"], data, config_for(smtps), timeout=60)
    m = assert_one_transaction(r, smtps, rcpts, started)
    assert b"r09995" not in m.content          # Bcc not transmitted
    parsed = email.message_from_bytes(m.content, policy=email.policy.default)
    assert len(parsed["To"].addresses) == 5000


# -- addresses that would inject SMTP commands ------------------------------

@pytest.mark.parametrize("rcpt", [
    "a@b>\r\nRCPT TO:<evil@x.org>",
    "a@x.org>\r\nRCPT TO:<evil@x.org>",
    "a@x.org\r\nRCPT TO:<evil@x.org>",
    "a@x.org\nRCPT TO:<evil@x.org>",
    "a@x.org\rRCPT TO:<evil@x.org>",
    "<a@x.org>\r\nRCPT TO:<evil@x.org>",
    "a@x.org> SIZE=1\r\nRCPT TO:<evil@x.org",
    "a@x.org>",
    "<a@x.org",
    "a<b@x.org",
    "a b@x.org",
    "a@x.org evil@x.org",
    "\"a\r\nRCPT TO:<evil@x.org>\"@x.org",
    "\"a>b\"@x.org",
    "a@x.org\x7f",
    "\udcff@x.org",                    # not UTF-8 (a 0xff byte on argv)
])
def test_bad_recipient_argument(smtps, config_for, run, rcpt):
    r = run(["ok@x.org", rcpt], SIMPLE, config_for(smtps))
    assert_nothing_sent(r, smtps, 65)
    assert not any(b"evil" in c for c in smtps.commands)


def test_empty_recipient_argument_adds_nobody(smtps, config_for, run):
    r = run([""], SIMPLE, config_for(smtps))
    assert_nothing_sent(r, smtps, 64, "no recipients")
    r = run(["", "a@x.org", " "], SIMPLE, config_for(smtps))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_recipient_argument_forms_that_are_fine(smtps, config_for, run):
    """Angles, a display name, a list, a quoted local part with a space."""
    args = ["<a@x.org>", "Bee <b@x.org>", "c@x.org, d@x.org",
            "\"e f\"@x.org"]
    r = run(args, SIMPLE, config_for(smtps))
    m = assert_sent(r, smtps, ["a@x.org", "b@x.org", "c@x.org", "d@x.org",
                               "\"e f\"@x.org"], R.crlf(SIMPLE))
    rcpt = [c for c in smtps.commands if c.upper().startswith(b"RCPT")]
    assert rcpt[-1] == b"RCPT TO:<\"e f\"@x.org>\r\n"
    assert len(m.rcpt_tos) == 5


@pytest.mark.parametrize("field", [
    b"To: a@x.org>\r\nRCPT TO:<evil@x.org>\n",
    b"To: a@x.org, evil@x.org>RCPT\n",
    b"Cc: \"x\n RCPT TO:<evil@x.org>\"@x.org\n",
    b"Cc: a@x.org,\n <evil@x.org\n",
    b"Bcc: a@x.org>\n",
    b"To: \"a\\\r\nRCPT TO:<evil@x.org>\"@x.org\n",
])
def test_bad_recipient_in_headers_with_t(smtps, config_for, run, field):
    data = b"From: joe@example.org\n" + field + b"Subject: s\n\nbody\n"
    r = run(["-t"], data, config_for(smtps))
    assert_nothing_sent(r, smtps, 65)
    assert not any(b"evil" in c for c in smtps.commands)


def test_command_after_a_bare_cr_in_to_is_body_text(smtps, config_for, run):
    """"RCPT TO:<...>" after a bare CR is a line that is not a field: the
    header section ends there and it is body text, as for the server.  The
    only RCPT is the real recipient."""
    data = (b"From: joe@example.org\nTo: <a@x.org>\rRCPT TO:<evil@x.org>\n"
            b"Subject: s\n\nbody\n")
    r = run(["-t"], data, config_for(smtps))
    m = one_message(r, smtps)
    assert m.rcpt_tos == ["a@x.org"]
    assert [c for c in smtps.commands if c.upper().startswith(b"RCPT")] == [
        b"RCPT TO:<a@x.org>\r\n"]
    rest, _ = strip_added(m.content)
    assert rest == (b"From: joe@example.org\r\nTo: <a@x.org>\r\n\r\n"
                    b"RCPT TO:<evil@x.org>\r\nSubject: s\r\n\r\nbody\r\n")


@pytest.mark.parametrize("sender", [
    "a@b>\r\nRCPT TO:<evil@x.org>",
    "joe@example.org>\r\nRCPT TO:<evil@x.org>",
    "<joe@example.org>\nRCPT TO:<evil@x.org>",
    "joe@example.org\r",
    "joe@example.org> BODY=8BITMIME",
    "<joe@example.org",
    "joe@ example.org",
])
def test_bad_sender_argument(smtps, config_for, run, sender):
    for args in (["-f", sender, "a@x.org"], ["-f" + sender, "a@x.org"],
                 ["-r", sender, "a@x.org"]):
        r = run(args, SIMPLE, config_for(smtps))
        assert_nothing_sent(r, smtps, 64, "sender")
