#!/usr/bin/python3
"""Demonstrate stamp end to end, on 127.0.0.1 only:

  a throwaway CA and server certificate; an SMTPS server with AUTH; a
  throwaway gnome-keyring holding the password; a 0600 config *without* a
  password; then  stamp -C cfg -v recipient@example.org < message

Prints the command, stamp's -v transcript, its exit status and the message
the server received, and checks the bytes.  Exit status 0 only if the
message arrived exactly as expected.

    /usr/bin/python3 scripts/demo.py /abs/path/to/build/stamp
"""
import os
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, os.pardir, "tests", "integration"))

from stamptest import run as R                    # noqa: E402
from stamptest.certs import make_certs            # noqa: E402
from stamptest.keyring import Keyring             # noqa: E402
from stamptest.smtpd import SMTPServer            # noqa: E402

USER = "demo"
PASSWORD = "demo-Pa55-in-the-keyring"
SENDER = "demo@example.org"
RECIPIENT = "recipient@example.org"
MESSAGE = (b"From: Demo <demo@example.org>\n"
           b"To: recipient@example.org\n"
           b"Bcc: hidden@example.org\n"
           b"Subject: hello from stamp\n"
           b"Date: Sun, 22 Nov 2026 06:00:00 +0000\n"
           b"Message-ID: <demo.1@example.org>\n"
           b"\n"
           b"Hello!\n"
           b".a line starting with a dot\n"
           b".\n"
           + "8-bit: Grüße\n".encode("utf-8") +
           b"no newline at the end")
EXPECTED = R.crlf(MESSAGE.replace(b"Bcc: hidden@example.org\n", b""))


def section(title):
    print("\n=== %s %s" % (title, "=" * max(0, 66 - len(title))))


def show_bytes(b):
    for line in b.split(b"\r\n")[:-1]:
        print("  | " + line.decode("utf-8", "replace") + "\\r\\n")
    if not b.endswith(b"\r\n"):
        print("  | " + b.split(b"\r\n")[-1].decode("utf-8", "replace")
              + "   <- no line end!")


def main(stamp):
    if not os.access(stamp, os.X_OK):
        print("demo: %s is not executable" % stamp, file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix="stamp-demo-")
    keyring = server = None
    try:
        certs = make_certs(tmp)
        server = SMTPServer(certs, mode="smtps", user=USER,
                            password=PASSWORD).start()
        keyring = Keyring(os.path.join(tmp, "keyring")).start()
        keyring.store("localhost", USER, PASSWORD)
        cfg_dict = R.account(server, certs, user=USER, from_=SENDER,
                             password=None)
        cfg, _ = R.write_config(os.path.join(tmp, "stamp.ini"), cfg_dict)

        section("setup")
        print("SMTPS server with AUTH PLAIN/LOGIN on 127.0.0.1:%d "
              "(certificate for localhost, signed by a throwaway CA)"
              % server.port)
        print("password for %s@localhost stored in a throwaway "
              "gnome-keyring (bus %s)" % (USER, keyring.bus_address))
        print("config %s (mode %o), no password in it:"
              % (cfg, os.stat(cfg).st_mode & 0o777))
        with open(cfg) as f:
            for line in f:
                print("  " + line.rstrip())

        env = R.base_env(keyring.home, **keyring.env)
        cmd = R.stamp_cmd(["-v", RECIPIENT], cfg, stamp)
        section("command")
        print("$ " + " ".join(cmd) + " < message")
        r = R.run_stamp(["-v", RECIPIENT], MESSAGE, cfg, env=env,
                        stamp=stamp, timeout=60)

        section("stamp -v transcript (stderr)")
        sys.stdout.write(r.stderr.decode("utf-8", "replace"))
        if r.stdout:
            section("stdout")
            sys.stdout.write(r.stdout.decode("utf-8", "replace"))
        section("exit status")
        print(r.returncode)

        server.settle()
        section("what the server received")
        problems = []
        if r.returncode != 0:
            problems.append("exit status %d, expected 0" % r.returncode)
        if len(server.messages) != 1:
            problems.append("server received %d messages, expected 1"
                            % len(server.messages))
        for m in server.messages:
            print("MAIL FROM:<%s>" % m.mail_from)
            for rc in m.rcpt_tos:
                print("RCPT TO:<%s>" % rc)
            print("AUTH over TLS: %s, TLS version: %s"
                  % (m.session.tls_at_auth, m.session.tls_version))
            print("content (%d bytes):" % len(m.content))
            show_bytes(m.content)
            if m.mail_from != SENDER:
                problems.append("envelope sender %r" % m.mail_from)
            if m.rcpt_tos != [RECIPIENT]:
                problems.append("recipients %r" % m.rcpt_tos)
            if m.content != EXPECTED:
                problems.append("content differs from what was expected")
                print("expected (%d bytes):" % len(EXPECTED))
                show_bytes(EXPECTED)
            if m.session.tls_at_auth != [True]:
                problems.append("AUTH not over TLS")
        if PASSWORD.encode() in r.stderr + r.stdout:
            problems.append("the password appears in stamp's output")

        section("result")
        if problems:
            for p in problems:
                print("FAIL: " + p)
            return 1
        print("OK: delivered over %s, the server received exactly the "
              "expected %d bytes" % (server.messages[0].session.tls_version,
                                     len(EXPECTED)))
        return 0
    finally:
        if server is not None:
            server.stop()
        if keyring is not None:
            keyring.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print("usage: %s /abs/path/to/stamp" % sys.argv[0], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(os.path.abspath(sys.argv[1])))
