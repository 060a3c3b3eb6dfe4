"""Credentials (DESIGN 7, issue 4): a configuration file holding a secret
must be private; the password never reaches argv, the environment (stamp's
or password_command's), syslog, -v or stderr; core dumps are off while a
secret is in memory; after AUTH the password is only in its one locked
buffer.

Some tests run stamp as "nobody" (setpriv): only then is it observable that
stamp is not dumpable, because the kernel makes /proc/PID/mem (and the other
private files there) of a non-dumpable process owned by root.  They need
root and a directory nobody can reach.
"""
import base64
import os
import platform
import pwd
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, assert_sent, error_line, \
    show, words_in

IS_ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not IS_ROOT, reason="needs root")
# /proc/PID/syscall: the number of read(2) on this machine.
READ_NR = {"x86_64": "0", "aarch64": "63"}.get(platform.machine())
# password_command that prints R.PASSWORD without holding 8 bytes of it in a
# row (its own argv is visible to everyone: that is the user's choice, not a
# leak; and the memory scan below looks for any 8 bytes of the password).
PW_COMMAND = "printf %s s3cr; printf %s et-Pa5; printf %s 5w0rd"
assert R.PASSWORD == "s3cret-Pa55w0rd"


def secrets_of(password=R.PASSWORD, user=R.USER):
    """The password and the forms it takes on the wire (PLAIN, LOGIN)."""
    p, u = password.encode(), user.encode()
    return [p, base64.b64encode(p), base64.b64encode(b"\0" + u + b"\0" + p),
            base64.b64encode(u + b"\0" + u + b"\0" + p)]


def assert_no_secret(where, data):
    for s in secrets_of():
        assert s not in data, "%r found in %s: %r" % (s, where, data)


# -- the configuration file ------------------------------------------------

def with_secret(server, certs, holds, **over):
    cfg = R.account(server, certs, **over)
    if holds == "password_command":
        cfg["test"]["password"] = None
        cfg["test"]["password_command"] = PW_COMMAND
    return cfg


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o660, 0o606, 0o620])
@pytest.mark.parametrize("holds", ["password", "password_command"])
def test_open_config_with_secret_refused(smtps, certs, tmp_path, run, mode,
                                         holds):
    """Group or others may read (or write) it: 78, naming the line that
    holds the secret and the fix; the server is never contacted."""
    path, where = R.write_config(tmp_path / "stamp.ini",
                                 with_secret(smtps, certs, holds), mode=mode)
    r = run(["a@x.org"], SIMPLE, path)
    assert_exit(r, 78)
    line = error_line(r)
    words_in(line, "line %d" % where[("test", holds)], "%04o" % mode,
             "chmod 600 %s" % path)
    assert_no_secret("stderr", r.stderr)
    smtps.settle()
    assert smtps.connections == 0


@needs_root
@pytest.mark.parametrize("holds", ["password", "password_command"])
def test_config_with_secret_owned_by_someone_else(smtps, certs, tmp_path,
                                                  run, holds):
    """Mode 600, but not ours (chown nobody): 78, saying whose it is."""
    nobody = pwd.getpwnam("nobody")
    path, _ = R.write_config(tmp_path / "stamp.ini",
                             with_secret(smtps, certs, holds))
    os.chown(path, nobody.pw_uid, nobody.pw_gid)
    r = run(["a@x.org"], SIMPLE, path)
    assert_exit(r, 78)
    words_in(error_line(r), "belongs to uid %d" % nobody.pw_uid,
             "not to you (uid 0)", "mode 600")
    smtps.settle()
    assert smtps.connections == 0


# -- running stamp as an unprivileged user -----------------------------------

class Unprivileged:
    """A 0755 directory holding a copy of stamp and of the CA, config files
    owned by nobody, and a private (nobody's) scratch directory."""

    def __init__(self, stamp, certs):
        self.user = pwd.getpwnam("nobody")
        self.dir = tempfile.mkdtemp(prefix="stamp-cred-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.stamp = os.path.join(self.dir, "stamp")
        shutil.copy(stamp, self.stamp)
        os.chmod(self.stamp, 0o755)
        self.ca = os.path.join(self.dir, "ca.pem")
        shutil.copy(certs.ca_pem, self.ca)
        os.chmod(self.ca, 0o644)
        self.scratch = os.path.join(self.dir, "scratch")
        os.mkdir(self.scratch, 0o700)
        self.chown(self.scratch)

    def chown(self, path):
        os.chown(path, self.user.pw_uid, self.user.pw_gid)

    def config(self, sections, mode=0o600, owner="nobody"):
        path, _ = R.write_config(os.path.join(self.dir, "stamp.ini"),
                                 sections, mode)
        if owner == "nobody":
            self.chown(path)
        return path

    def popen(self, args, config):
        cmd = ["setpriv", "--reuid=%d" % self.user.pw_uid,
               "--regid=%d" % self.user.pw_gid, "--clear-groups", "--",
               self.stamp, "-C", config] + list(args)
        return subprocess.Popen(cmd, stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE,
                                env=R.base_env(self.scratch))

    def run(self, args, config, input_bytes=SIMPLE):
        p = self.popen(args, config)
        out, err = p.communicate(input_bytes, timeout=30)
        return subprocess.CompletedProcess(p.args, p.returncode, out, err)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def unpriv(stamp, certs):
    if not IS_ROOT or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv")
    u = Unprivileged(stamp, certs)
    yield u
    u.cleanup()


def proc_owner(pid):
    """Owner of /proc/PID/mem: the process's uid, or root when it is not
    dumpable (/proc/PID itself, 0555, keeps the uid either way)."""
    return os.stat("/proc/%d/mem" % pid).st_uid


def core_limit(pid):
    """(soft, hard) of "Max core file size" in /proc/PID/limits."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max core file size"):
                return tuple(line.split()[4:6])
    raise AssertionError("no core limit in /proc/%d/limits" % pid)


def read_proc(pid, name):
    with open("/proc/%d/%s" % (pid, name), "rb") as f:
        return f.read()


def test_unprivileged_run_works(unpriv, smtps, certs):
    """The premise of the tests below: as nobody, with its own 0600 file,
    stamp delivers; and nobody's processes are normally nobody's in /proc
    (so root-owned /proc/PID/mem means "not dumpable")."""
    cfg = unpriv.config(R.account(smtps, certs, tls_trust_file=unpriv.ca))
    r = unpriv.run(["a@x.org"], cfg)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))
    p = subprocess.Popen(["setpriv", "--reuid=%d" % unpriv.user.pw_uid,
                          "--regid=%d" % unpriv.user.pw_gid,
                          "--clear-groups", "--", "sleep", "5"])
    try:
        time.sleep(0.2)
        assert proc_owner(p.pid) == unpriv.user.pw_uid
    finally:
        p.kill()
        p.wait()


def test_unprivileged_refuses_root_owned_config(unpriv, smtps, certs):
    """A shared file with a password (/etc/stamp.ini, 0644, root's) read by
    another user: 78, that user is told to use a file of their own."""
    cfg = unpriv.config(R.account(smtps, certs, tls_trust_file=unpriv.ca),
                        mode=0o644, owner="root")
    r = unpriv.run(["a@x.org"], cfg)
    assert_exit(r, 78)
    words_in(error_line(r), "belongs to uid 0",
             "not to you (uid %d)" % unpriv.user.pw_uid, "mode 600")
    assert_no_secret("stderr", r.stderr)
    smtps.settle()
    assert smtps.connections == 0


def blocked_reading_stdin(pid):
    try:
        f = read_proc(pid, "syscall").split()
    except OSError:
        return False
    return len(f) > 1 and f[0].decode() == READ_NR and f[1] == b"0x0"


@pytest.mark.skipif(READ_NR is None, reason="read(2) number unknown here")
def test_not_dumpable_while_config_password_held(unpriv, smtps, certs):
    """The config's password is in memory from config_load on; stamp then
    reads the message from stdin.  Stopped there (stdin held open), stamp
    must already be non-dumpable, with no core size allowed."""
    cfg = unpriv.config(R.account(smtps, certs, tls_trust_file=unpriv.ca))
    p = unpriv.popen(["a@x.org"], cfg)
    try:
        deadline = time.monotonic() + 10
        while not blocked_reading_stdin(p.pid):
            assert p.poll() is None, p.communicate()
            assert time.monotonic() < deadline, "stamp never read stdin"
            time.sleep(0.02)
        owner, limit = proc_owner(p.pid), core_limit(p.pid)
        out, err = p.communicate(SIMPLE, timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    r = subprocess.CompletedProcess(p.args, p.returncode, out, err)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))
    assert owner == 0, "stamp was dumpable while holding the password"
    assert limit == ("0", "0"), limit


class AtRcpt:
    """A RCPT hook for SMTPServer(replies={"RCPT": hook}): when stamp's RCPT
    arrives (AUTH done, the password held) it records from /proc what anyone
    could learn about stamp (pid set by the test once it has started it)."""

    def __init__(self, scan_memory=False):
        self.pid = None
        self.started = threading.Event()
        self.seen = {}
        self.scan_memory = scan_memory

    def __call__(self, address):
        if self.started.wait(10) and not self.seen:
            pid = self.pid
            self.seen = {"owner": proc_owner(pid),
                         "limit": core_limit(pid),
                         "cmdline": read_proc(pid, "cmdline"),
                         "environ": read_proc(pid, "environ")}
            if self.scan_memory:
                self.seen["memory"] = memory_hits(pid)
        return None                      # then the normal 250

    def start(self, popen):
        self.pid = popen.pid
        self.started.set()
        return popen

    def run(self, args, cfg, stamp, env, stdin=SIMPLE):
        """Run stamp -C cfg args (stdin: bytes, or None for no input)
        with this hook watching; the CompletedProcess."""
        p = self.start(subprocess.Popen(
            R.stamp_cmd(args, cfg, stamp),
            stdin=subprocess.DEVNULL if stdin is None else subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env))
        out, err = p.communicate(stdin, timeout=90)
        return subprocess.CompletedProcess(p.args, p.returncode, out, err)


@pytest.mark.parametrize("holds", ["password", "password_command"])
def test_secret_held_out_of_reach(unpriv, make_server, certs, holds):
    """As nobody, at RCPT (after AUTH, password held): /proc/PID/mem is root's
    (not dumpable: no core, no ptrace or /proc/PID/mem for nobody's other
    processes), no core size allowed, and the password is neither in argv
    nor in the environment.  password_command sees $PPID the same way and
    gets an environment without the password."""
    hook = AtRcpt()
    srv = make_server("smtps", replies={"RCPT": hook})
    dump = os.path.join(unpriv.scratch, "child")
    over = {"tls_trust_file": unpriv.ca}
    if holds == "password_command":
        over.update(password=None, password_command=(
            "{ stat -c %%u /proc/$PPID/mem; env; } > %s; %s" % (dump,
                                                           PW_COMMAND)))
    cfg = unpriv.config(R.account(srv, certs, **over))
    p = hook.start(unpriv.popen(["a@x.org"], cfg))
    out, err = p.communicate(SIMPLE, timeout=30)
    r = subprocess.CompletedProcess(p.args, p.returncode, out, err)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert hook.seen, "the RCPT hook did not run" + show(r)
    assert hook.seen["owner"] == 0, "stamp was dumpable after AUTH"
    assert hook.seen["limit"] == ("0", "0"), hook.seen["limit"]
    assert_no_secret("/proc/PID/cmdline", hook.seen["cmdline"])
    assert_no_secret("/proc/PID/environ", hook.seen["environ"])
    if holds == "password_command":
        with open(dump, "rb") as f:
            child = f.read()
        ppid_owner, child_env = child.split(b"\n", 1)
        assert ppid_owner == b"0", "password_command saw a dumpable stamp"
        assert b"PATH=" in child_env, child
        assert_no_secret("password_command's environment", child_env)


# -- what is left in memory -------------------------------------------------

PAGE = 4096
HUGE = 1 << 26          # skip ASan's shadow (256 MB and more): never ours


WINDOW = 8             # bytes of a secret form that count as a trace


def windows(b):
    return {b[i:i + WINDOW] for i in range(len(b) - WINDOW + 1)}


def memory_hits(pid):
    """{secret form: [addresses of any WINDOW bytes of it]} over every
    writable mapping of pid.  Freed memory counts: allocators overwrite
    only the first bytes of a free chunk."""
    forms = secrets_of()
    pattern = re.compile(b"(?=(%s))" % b"|".join(   # overlapping: lookahead
        re.escape(w) for f in forms for w in windows(f)))
    hits = {f: [] for f in forms}
    with open("/proc/%d/maps" % pid) as maps, \
            open("/proc/%d/mem" % pid, "rb", 0) as mem:
        for line in maps:
            f = line.split()
            lo, hi = (int(x, 16) for x in f[0].split("-"))
            # secrets can only be in memory stamp writes to
            if not f[1].startswith("rw") or hi - lo >= HUGE:
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, ValueError, OverflowError):
                continue
            for m in pattern.finditer(data):
                for form in forms:
                    if m.group(1) in form:
                        hits[form].append(lo + m.start())
    return hits


@needs_root
@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_after_auth_password_only_in_its_buffer(make_server, config_for,
                                                run, stamp, env, mech):
    """At RCPT time the password (from password_command) is in stamp's
    memory exactly once, at the start of a page: secret.c's locked buffer
    (DESIGN 7 wants it wiped right after AUTH; main.c wipes it after the
    session).  Not even 8 bytes of it or of its base64 forms are anywhere
    else (sasl.c wipes those)."""
    hook = AtRcpt(scan_memory=True)
    srv = make_server("smtps", replies={"RCPT": hook},
                      auth_mechanisms=(mech,))
    # timeout: the scan takes seconds under ASan, and stamp waits for it
    cfg = config_for(srv, password=None, password_command=PW_COMMAND,
                     timeout=60)
    r = hook.run(["a@x.org"], cfg, stamp, env)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    hits = hook.seen["memory"]
    plain = hits.pop(R.PASSWORD.encode())
    base = min(plain, default=0)        # none at all would be better still
    assert base % PAGE == 0 and all(
        a - base <= len(R.PASSWORD) - WINDOW for a in plain), [
            hex(a) for a in plain]
    assert all(v == [] for v in hits.values()), hits


@needs_root
@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_password_wiped_as_soon_as_auth_succeeds(make_server, config_for,
                                                 stamp, env, mech):
    """DESIGN 7: the password buffer is wiped at 235, not at the end of the
    session.  In lockstep (pipelining = off) stamp has read the 235 before
    it sends MAIL, so at RCPT time not 8 bytes of the password (from
    password_command) or of its base64 forms are left anywhere."""
    hook = AtRcpt(scan_memory=True)
    srv = make_server("smtps", replies={"RCPT": hook},
                      auth_mechanisms=(mech,))
    cfg = config_for(srv, password=None, password_command=PW_COMMAND,
                     pipelining="off", timeout=60)
    r = hook.run(["a@x.org"], cfg, stamp, env)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    hits = hook.seen["memory"]
    assert all(v == [] for v in hits.values()), {
        k: [hex(a) for a in v] for k, v in hits.items()}


def test_flush_wipes_password_as_soon_as_auth_succeeds(
        make_server, config_for, stamp, env, run, tmp_path):
    """The same rule for a queue run (stamp -qI): the item's session has
    no password left at RCPT time."""
    qdir = tmp_path / "queue"
    first = make_server("smtps", replies={"RCPT": "451 4.3.0 try later"})
    over = dict(password=None, password_command=PW_COMMAND,
                pipelining="off", timeout=60, queue="yes",
                queue_dir=str(qdir))
    r = run(["a@x.org"], SIMPLE, config_for(first, **over))
    assert r.returncode == 0, r.stderr
    item, = [f for f in os.listdir(qdir) if len(f) == 16]
    hook = AtRcpt(scan_memory=True)
    srv = make_server("smtps", replies={"RCPT": hook})
    cfg = config_for(srv, name="again.ini", **over)
    r = hook.run(["-qI" + item], cfg, stamp, env, stdin=None)
    assert r.returncode == 0, r.stderr
    assert len(srv.messages) == 1
    hits = hook.seen["memory"]
    assert all(v == [] for v in hits.values()), {
        k: [hex(a) for a in v] for k, v in hits.items()}


@needs_root
def test_after_auth_config_password_not_left_in_stdio_buffer(
        make_server, config_for, stamp, env):
    """password in the file: two copies are legitimate while the session
    runs (the account's value, the secret buffer); a third one is the
    file's text left behind."""
    hook = AtRcpt(scan_memory=True)
    srv = make_server("smtps", replies={"RCPT": hook})
    cfg = config_for(srv, timeout=60)
    r = hook.run(["a@x.org"], cfg, stamp, env)
    assert r.returncode == 0, r.stderr
    pw = R.PASSWORD.encode()
    starts = [a for a in hook.seen["memory"][pw]
              if a - 1 not in hook.seen["memory"][pw]]
    assert len(starts) <= 2, [hex(a) for a in starts]


# -- logs, -v and stderr ---------------------------------------------------

FAILURES = {
    "auth refused": (dict(password="the-right-one"), {}, 77),
    "MAIL refused": ({}, {"MAIL": "553 5.7.1 sender not allowed"}, 69),
    "dropped at DATA": ({}, {"DATA": "DROP"}, 75),
    "untrusted certificate": (dict(cert="untrusted"), {}, 69),
}


@pytest.mark.parametrize("verbose", [False, True])
@pytest.mark.parametrize("holds", ["password", "password_command"])
@pytest.mark.parametrize("failure", list(FAILURES))
def test_no_secret_in_output_on_failure(make_server, config_for, run_syslog,
                                        failure, holds, verbose):
    srv_kw, replies, code = FAILURES[failure]
    srv = make_server("smtps", replies=replies, **srv_kw)
    over = {} if holds == "password" else dict(password=None,
                                               password_command=PW_COMMAND)
    r = run_syslog(["-v", "a@x.org"] if verbose else ["a@x.org"], SIMPLE,
                   config_for(srv, **over))
    assert_exit(r, code)
    assert r.syslog, "no log line"
    assert_no_secret("stdout", r.stdout)
    assert_no_secret("stderr", r.stderr)
    assert_no_secret("syslog", "\n".join(r.syslog).encode())
    if verbose and failure != "untrusted certificate":
        assert b"<redacted>" in r.stderr, r.stderr


def test_password_command_failing_after_printing(smtps, config_for, run):
    """The command printed the password, then failed: 78, and its output is
    not shown (only its stderr's first line)."""
    r = run(["a@x.org"], SIMPLE, config_for(
        smtps, password=None, password_command=PW_COMMAND + "; exit 3"))
    assert_exit(r, 78)
    words_in(error_line(r), "password_command", "exit status 3")
    assert_no_secret("stderr", r.stderr)
    smtps.settle()
    assert smtps.connections == 0
