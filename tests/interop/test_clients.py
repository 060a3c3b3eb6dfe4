"""Real programs that send mail through stamp (issue 8): mutt in batch
mode, the cron daemon mailing a job's output, git send-email with a patch
series.  Postfix + Dovecot (mailstack.py) receive; what reaches the
Maildir is checked."""
import email
import email.policy
import os
import subprocess
import time

import pytest

from helpers import need, rcpt, split_trace
from stamptest import run as R


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def delivered_by_stamp(raw, box, mail_from=R.FROM):
    """raw came through Postfix's smtps/submission with TLS and AUTH,
    from mail_from to box; returns the parsed message."""
    fields, _ = split_trace(raw)
    check_trace(fields, box, mail_from)
    return parse(raw)


def check_trace(fields, box, mail_from):
    assert fields[0] == "Return-Path: <%s>\n" % mail_from, fields
    assert "Delivered-To: %s\n" % rcpt(box) in fields, fields
    received = " ".join(fields[-1].split())
    assert " with ESMTPSA id " in received, received


# -- mutt ------------------------------------------------------------

MUTTRC = """\
set sendmail = "{stamp} -C {config}"
set from = "Joe Mutt <joe@example.org>"
set use_from = yes
set envelope_from = yes
set realname = "Joe Mutt"
set record = ""
set copy = no
set charset = "utf-8"
set send_charset = "us-ascii:utf-8"
set mbox_type = Maildir
set folder = "{home}/Mail"
set spoolfile = "{home}/Mail"
set hostname = "client.example"
"""


def test_mutt_batch_with_attachment(mail, config, stamp, home, env, tmp_path):
    """mutt -F testrc -s ... -a file -- rcpt < body, mutt's sendmail being
    stamp: the text and the attachment arrive intact."""
    need("mutt")
    cfg = config("starttls")
    rc = tmp_path / "testrc"
    rc.write_text(MUTTRC.format(stamp=stamp, config=cfg, home=home))
    att = tmp_path / "report.bin"
    payload = bytes(range(256)) * 40 + b"\x00end"
    att.write_bytes(payload)
    body = "Hi Alice,\n\nthe report is attached (Grüße).\n-- \nJoe\n"
    r = subprocess.run(["mutt", "-n", "-F", str(rc), "-s",
                        "interop mutt report", "-a", str(att), "--",
                        rcpt("alice")], input=body.encode(), env=env,
                       capture_output=True, timeout=60)
    assert r.returncode == 0, (r.returncode, r.stdout, r.stderr)
    raw, = mail.settle(["alice"])["alice"]
    msg = delivered_by_stamp(raw, "alice")
    assert msg["Subject"] == "interop mutt report"
    assert msg["From"] == "Joe Mutt <joe@example.org>"
    assert msg["To"] == rcpt("alice")
    assert msg["Message-ID"].endswith("@client.example>")
    assert msg.get_content_type() == "multipart/mixed"
    text, attachment = msg.iter_parts()
    assert text.get_content() == body
    assert attachment.get_filename() == "report.bin"
    assert attachment.get_payload(decode=True) == payload
    assert "sasl_username=joe" in mail.log()


# -- cron ------------------------------------------------------------

# Inside a private mount namespace: our own /run (so the system's cron,
# if any, does not see a second one, and @reboot jobs run: there is no
# /run/crond.reboot), our own /etc/cron.d, an empty /etc/crontab and
# crontabs spool (only our job runs), stamp as /usr/sbin/sendmail, and
# /etc/stamp.ini from an overlay on /etc whose upper layer is a tmpfs.
CRON_NS = """\
set -e
mount -t tmpfs -o mode=0755 tmpfs /run
mount -t tmpfs -o mode=0755 tmpfs {d}/ovl
mkdir {d}/ovl/up {d}/ovl/work
install -m 0600 {d}/stamp.ini {d}/ovl/up/stamp.ini
mount -t overlay overlay \\
    -o lowerdir=/etc,upperdir={d}/ovl/up,workdir={d}/ovl/work /etc
mount --bind {d}/cron.d /etc/cron.d
mount --bind {d}/crontab /etc/crontab
mount --bind {d}/crontabs /var/spool/cron/crontabs
mount --bind {stamp} /usr/sbin/sendmail
exec cron -f -L 15
"""

# @reboot: run once at cron's start (no waiting for a minute boundary).
# cron mails the output to MAILTO with
# "/usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem alice@interop.test".
CRON_JOB = """\
MAILTO={to}
@reboot root echo 'backup finished: 3 files'; echo 'warning: disk 91 percent full' >&2; printf 'tab\\there\\n'
"""
CRON_OUTPUT = ("backup finished: 3 files\nwarning: disk 91 percent full\n"
               "tab\there\n")


def test_cron_mails_job_output(mail, stack, stamp, tmp_path):
    need("cron", "unshare")
    d = tmp_path / "cron"
    for sub in ("cron.d", "crontabs", "ovl"):
        (d / sub).mkdir(parents=True)
    (d / "crontab").write_text("")
    (d / "cron.d").chmod(0o755)
    job = d / "cron.d" / "stampjob"
    job.write_text(CRON_JOB.format(to=rcpt("alice")))
    job.chmod(0o644)
    R.write_config(d / "stamp.ini", {
        "defaults": {"default_account": "test"},
        "test": {"host": "localhost", "port": stack.smtps, "tls": "smtps",
                 "user": "joe", "password": R.PASSWORD, "from": R.FROM,
                 "tls_trust_file": stack.certs.ca_pem, "timeout": 30}})
    out = open(d / "cron.out", "wb")
    p = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "sh", "-c",
         CRON_NS.format(d=d, stamp=stamp)], stdin=subprocess.DEVNULL,
        stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    out.close()
    try:
        got = mail.settle(["alice"], timeout=30)
    finally:
        time.sleep(0.2)
        p.terminate()
        p.wait(timeout=10)
        try:
            os.killpg(p.pid, 9)          # the job and its mailer, if left
        except ProcessLookupError:
            pass
    raw, = got["alice"]
    cron_said = (d / "cron.out").read_text()
    msg = delivered_by_stamp(raw, "alice")
    assert msg["To"] == rcpt("alice"), cron_said
    assert msg["Subject"].startswith("Cron <root@"), msg["Subject"]
    assert "backup finished" in msg["Subject"]
    # cron wrote From: root (Cron Daemon); stamp (set_from_header = auto)
    # gave the unqualified address the envelope sender, keeping the name.
    assert msg["From"] == "Cron Daemon <%s>" % R.FROM, msg["From"]
    assert msg["X-Cron-Env"] == "<MAILTO=%s>" % rcpt("alice")
    # cron writes neither; stamp adds both.
    assert msg["Date"] and msg["Message-ID"].endswith("@example.org>")
    assert msg.get_content() == CRON_OUTPUT
    assert "stamp:" not in cron_said, cron_said


# -- git send-email --------------------------------------------------

def git(repo, *args, env=None):
    return subprocess.run(["git", "-C", str(repo)] + list(args), env=env,
                          check=True, capture_output=True, timeout=60).stdout


def test_git_send_email_series(mail, config, stamp, env, tmp_path):
    """git send-email sends a two-patch series through stamp
    (--smtp-server=stamp): two messages, threaded, and git am of what
    Postfix delivered rebuilds the same tree."""
    need("git")
    if subprocess.run(["git", "send-email", "--help"], capture_output=True,
                      env=env).returncode != 0:
        pytest.fail("git send-email missing: sh scripts/install-deps.sh")
    genv = dict(env, GIT_AUTHOR_NAME="Joe Dev", GIT_AUTHOR_EMAIL=R.FROM,
                GIT_COMMITTER_NAME="Joe Dev", GIT_COMMITTER_EMAIL=R.FROM,
                GIT_AUTHOR_DATE="2026-11-22T06:00:00Z",
                GIT_COMMITTER_DATE="2026-11-22T06:00:00Z")
    repo = tmp_path / "repo"
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], env=genv,
                   check=True)
    (repo / "README").write_text("stamp interop\n")
    git(repo, "add", "README", env=genv)
    git(repo, "commit", "-q", "-m", "Initial commit", env=genv)
    base = git(repo, "rev-parse", "HEAD", env=genv).decode().strip()
    (repo / "README").write_text("stamp interop\nline two\n")
    git(repo, "commit", "-q", "-a", "-m", "README: a second line", env=genv)
    (repo / "hello.c").write_text('int\nmain(void)\n{\n\treturn 0;\n}\n')
    git(repo, "add", "hello.c", env=genv)
    git(repo, "commit", "-q", "-m", "hello.c: the smallest program\n\n"
        "With a body line that is long enough to be wrapped by nobody.",
        env=genv)
    tree = git(repo, "rev-parse", "HEAD^{tree}", env=genv).decode().strip()
    patches = git(repo, "format-patch", "-o", str(tmp_path / "out"),
                  base, env=genv).decode().split()
    assert len(patches) == 2
    r = subprocess.run(
        ["git", "-C", str(repo), "send-email", "--confirm=never", "--quiet",
         "--no-validate", "--smtp-server=" + stamp,
         "--smtp-server-option=-C", "--smtp-server-option=" + config("smtps"),
         "--from=Joe Dev <%s>" % R.FROM, "--to=" + rcpt("alice"),
         "--envelope-sender=" + R.FROM, "--suppress-cc=all", "--thread",
         "--no-chain-reply-to"]
        + patches, env=genv, capture_output=True, timeout=120)
    assert r.returncode == 0, (r.stdout, r.stderr)
    got = mail.settle(["alice"], count=2)["alice"]
    assert len(got) == 2
    msgs = sorted((delivered_by_stamp(raw, "alice") for raw in got),
                  key=lambda m: m["Subject"])
    assert [m["Subject"] for m in msgs] == [
        "[PATCH 1/2] README: a second line",
        "[PATCH 2/2] hello.c: the smallest program"]
    first, second = msgs
    assert second["In-Reply-To"] == first["Message-ID"]
    for m in msgs:
        assert m["From"] == "Joe Dev <%s>" % R.FROM
        assert m["To"] == rcpt("alice")
    # What arrived applies: a clone at the base, git am, the same tree.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(repo), str(clone)], env=genv,
                   check=True)
    git(clone, "checkout", "-q", base, env=genv)
    mbox = tmp_path / "received.mbox"
    with open(mbox, "wb") as f:
        for raw in sorted(got, key=lambda b: parse(b)["Subject"]):
            f.write(b"From joe@example.org Sun Nov 22 06:00:00 2026\n")
            f.write(split_trace(raw)[1])
            f.write(b"\n")
    git(clone, "am", "-q", str(mbox), env=genv)
    assert git(clone, "rev-parse", "HEAD^{tree}",
               env=genv).decode().strip() == tree
    log = git(clone, "log", "--format=%an <%ae>|%s", "-2",
              env=genv).decode()
    assert log == ("Joe Dev <joe@example.org>|hello.c: the smallest program\n"
                   "Joe Dev <joe@example.org>|README: a second line\n")
