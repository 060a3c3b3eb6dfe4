"""Messages and checks shared by the interop tests."""
import re
import shutil

import pytest

from mailstack import DOMAIN
from stamptest import run as R

# The header fields Postfix puts above the message it delivers (virtual(8)
# adds X-Original-To and Delivered-To, smtpd Received).
TRACE = (b"Return-Path:", b"X-Original-To:", b"Delivered-To:", b"Received:")


def rcpt(box):
    return "%s@%s" % (box, DOMAIN)


def need(*programs):
    for p in programs:
        if shutil.which(p) is None:
            pytest.fail("%s is not installed: sh scripts/install-deps.sh" % p)


def message(subject, to=("alice",),
            body=b"Hello,\nthis went through Postfix.\n", extra=b""):
    """A complete message (From, To, Subject, Date, Message-ID), so that
    neither stamp nor Postfix has a header to add: what arrives must be
    these bytes."""
    tag = re.sub(r"[^A-Za-z0-9]+", ".", subject).strip(".")
    return (b"From: Joe <joe@example.org>\n"
            b"To: " + ", ".join(rcpt(b) for b in to).encode() + b"\n"
            b"Subject: " + subject.encode() + b"\n"
            b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
            b"Message-ID: <" + tag.encode() + b"@example.org>\n" +
            extra + b"\n" + body)


def lf(b):
    """What a Maildir holds for input b: LF line ends, a final one."""
    return R.crlf(b).replace(b"\r\n", b"\n")


def split_trace(raw):
    """(trace header fields as a list of str, the rest) of a delivered
    file: the Return-Path, Delivered-To and Received fields (folded lines
    included) that Postfix put on top."""
    fields = []
    pos = 0
    while True:
        end = raw.find(b"\n", pos) + 1
        if end == 0:
            break
        line = raw[pos:end]
        if line.startswith(TRACE):
            fields.append(line.decode())
        elif line[:1] in (b" ", b"\t") and fields:
            fields[-1] += line.decode()
        else:
            break
        pos = end
    return fields, raw[pos:]


def check_delivered(raw, sent, box, mail_from=R.FROM):
    """raw (a Maildir file) is sent, as it was submitted by stamp over TLS
    with SMTP AUTH, to box, from mail_from.  Returns the trace fields."""
    fields, rest = split_trace(raw)
    names = [f.split(":", 1)[0] for f in fields]
    assert names == ["Return-Path", "X-Original-To", "Delivered-To",
                     "Received"], fields
    assert fields[0] == "Return-Path: <%s>\n" % mail_from, fields
    assert fields[1] == "X-Original-To: %s\n" % rcpt(box), fields
    assert fields[2] == "Delivered-To: %s\n" % rcpt(box), fields
    received = " ".join(fields[3].split())
    # ESMTPSA: ESMTP + TLS (S) + SMTP AUTH (A), RFC 3848.
    assert " with ESMTPSA id " in received, received
    assert "(using TLSv1.3 with cipher " in received, received
    assert rest == lf(sent), "body differs from what was sent"
    return fields


def disconnect_stats(log):
    """The command counts of the last 'disconnect from' line of Postfix's
    log, e.g. {"ehlo": "1", "auth": "1", "mail": "1", ...,
    "commands": "6"}."""
    lines = [ln for ln in log.splitlines() if "]: disconnect from " in ln]
    assert lines, "no disconnect line in\n" + log
    return dict(w.split("=", 1) for w in lines[-1].split() if "=" in w)


def sasl_methods(log):
    """The sasl_method= of every message Postfix accepted, in order."""
    return re.findall(r"client=[^,]+, sasl_method=([A-Z0-9-]+), "
                      r"sasl_username=(\S+)", log)
