"""stamp --password set|clear|check against the real gnome-keyring of the
harness (stamptest/keyring.py), and the lookup errors a send meets: a locked
keyring, no bus, a bus without a Secret Service, a bus that never answers, a
failing password_command."""
import base64
import fcntl
import os
import select
import signal
import socket
import subprocess
import termios
import time

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, assert_sent, error_line, \
    show, words_in
from stamptest.keyring import BareBus, Keyring


def kenv(env, keyring):
    e = dict(env)
    e.update(keyring.env)
    return e


def timed_send(cfg, env):
    """stamp -C cfg a@x.org: (result, seconds it took)."""
    t0 = time.monotonic()
    r = R.run_stamp(["a@x.org"], SIMPLE, cfg, env)
    return r, time.monotonic() - t0


def assert_bus_timed_out(r, took, server):
    """78 after the account's timeout = 2, the server never contacted."""
    assert_exit(r, 78)
    assert 1.5 < took < 6, took
    assert error_line(r).startswith(
        "stamp: Secret Service not reachable: no answer on the D-Bus session "
        "bus within 2 s; ")
    server.settle()
    assert server.connections == 0


def password(args, cfg, env, stdin=b"", timeout=30):
    """stamp -C cfg --password args... with stdin (bytes: a pipe)."""
    return R.run_stamp(["--password"] + args, stdin, cfg, env,
                       timeout=timeout)


def secrets_of(pw, user=R.USER):
    """The password and the encodings it takes on the wire."""
    p = pw.encode() if isinstance(pw, str) else pw
    u = user.encode()
    return [p, base64.b64encode(p),
            base64.b64encode(b"\0" + u + b"\0" + p),
            base64.b64encode(u + b"\0" + u + b"\0" + p)]


def assert_no_secret(r, pw, user=R.USER):
    places = {"stdout": r.stdout, "stderr": r.stderr}
    if hasattr(r, "syslog"):
        places["syslog"] = "\n".join(r.syslog).encode()
    for where, data in places.items():
        for s in secrets_of(pw, user):
            assert s not in data, "%r found in %s" % (s, where)


def auth_plain_of(srv):
    """What the client authenticated with: AUTH PLAIN's decoded response."""
    cmds = [c for c in srv.commands if c.upper().startswith(b"AUTH PLAIN ")]
    assert len(cmds) == 1, srv.commands
    return base64.b64decode(cmds[0].split()[2])


# --- set -------------------------------------------------------------------

def test_set_from_pipe_then_send(make_server, config_for, env, keyring):
    """One line on a pipe (its newline dropped), stored with msmtp's
    attributes (msmtp's schema: test_set_then_msmtp_finds_it) and a clear
    label; a normal send then finds it and the server gets exactly those
    bytes."""
    pw = "pipe pw: with spaces & \u00e9"
    srv = make_server("smtps", user="setpipe", password=pw)
    cfg = config_for(srv, user="setpipe", password=None)
    e = kenv(env, keyring)
    r = password(["set", "test"], cfg, e, (pw + "\n").encode())
    assert_exit(r, 0)
    assert r.stderr == b"", show(r)          # no prompt on a pipe
    assert r.stdout.decode() == (
        "stored the password for setpipe@localhost (account 'test') in the "
        "Secret Service; test it with: stamp --password check test\n")
    assert keyring.lookup("localhost", "setpipe") == pw.encode()
    items = keyring.items("localhost", "setpipe")
    assert len(items) == 1, items
    assert items[0]["label"] == \
        "SMTP password for setpipe@localhost (stamp, msmtp)"
    r = R.run_stamp(["a@x.org"], SIMPLE, cfg, e)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert auth_plain_of(srv) == b"\0setpipe\0" + pw.encode()


def test_set_crlf_and_no_newline(make_server, config_for, env, keyring):
    srv = make_server("smtps", user="setcrlf")
    cfg = config_for(srv, user="setcrlf", password=None)
    e = kenv(env, keyring)
    for line in (b"crlf-pw\r\n", b"no-newline-pw"):
        assert_exit(password(["set"], cfg, e, line), 0)
        assert keyring.lookup("localhost", "setcrlf") == \
            line.rstrip(b"\r\n")


def test_set_replaces_secret_tool_entry(make_server, config_for, env, keyring):
    """An entry made with secret-tool (another schema) is replaced, not
    kept beside ours for a lookup to pick by chance."""
    srv = make_server("smtps", user="setrepl", password="the-new-one")
    keyring.store("localhost", "setrepl", "the-old-one")
    cfg = config_for(srv, user="setrepl", password=None)
    e = kenv(env, keyring)
    assert_exit(password(["set"], cfg, e, b"the-new-one\n"), 0)
    items = keyring.items("localhost", "setrepl")
    assert len(items) == 1, items
    assert keyring.lookup("localhost", "setrepl") == b"the-new-one"
    r = R.run_stamp(["a@x.org"], SIMPLE, cfg, e)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))


def test_set_then_msmtp_finds_it(make_server, config_for, certs, env, keyring,
                                 tmp_path):
    """msmtp itself (Debian's, with its libsecret lookup) authenticates
    with what stamp --password set stored."""
    srv = make_server("smtps", user="setmsmtp", password="shared-with-msmtp")
    cfg = config_for(srv, user="setmsmtp", password=None)
    e = kenv(env, keyring)
    assert_exit(password(["set"], cfg, e, b"shared-with-msmtp\n"), 0)
    rc = tmp_path / "msmtprc"
    rc.write_text("account default\nhost localhost\nport %d\ntls on\n"
                  "tls_starttls off\ntls_trust_file %s\nauth plain\n"
                  "user setmsmtp\nfrom joe@example.org\n"
                  % (srv.port, certs.ca_pem))
    os.chmod(rc, 0o600)
    r = subprocess.run(["msmtp", "-C", str(rc), "a@x.org"], input=SIMPLE,
                       env=e, capture_output=True, timeout=30)
    assert r.returncode == 0, show(r)
    srv.settle()
    assert len(srv.messages) == 1


def test_set_empty_or_too_long(make_server, config_for, env, keyring):
    srv = make_server("smtps", user="setbad")
    cfg = config_for(srv, user="setbad", password=None)
    e = kenv(env, keyring)
    for data in (b"", b"\n"):
        r = password(["set"], cfg, e, data)
        assert_exit(r, 65)
        words_in(error_line(r), "no password given")
    r = password(["set"], cfg, e, b"a" * 16385 + b"\n")
    assert_exit(r, 65)
    assert error_line(r) == "stamp: password longer than 16384 bytes"
    assert keyring.lookup("localhost", "setbad") is None


def test_set_needs_a_user(make_server, config_for, env, keyring):
    srv = make_server("smtps")
    cfg = config_for(srv, user=None, password=None)
    r = password(["set"], cfg, kenv(env, keyring), b"pw\n")
    assert_exit(r, 78)
    assert error_line(r) == ("stamp: account 'test' has no user, so it has "
                             "no password (add user = to it in %s)" % cfg)


def test_set_warns_when_password_command_comes_first(make_server, config_for,
                                                     env, keyring):
    srv = make_server("smtps", user="setwarn")
    cfg = config_for(srv, user="setwarn", password=None,
                     password_command="echo from-command")
    r = password(["set"], cfg, kenv(env, keyring), b"stored-pw\n")
    assert_exit(r, 0)
    words_in(r.stderr.decode(), "warning", "password_command",
             "used before the Secret Service")
    assert keyring.lookup("localhost", "setwarn") == b"stored-pw"


# --- set on a terminal -----------------------------------------------------

class Pty:
    """stamp on a fresh pseudo-terminal that is its controlling terminal;
    we keep the slave open to read its modes afterwards."""

    def __init__(self, argv, env):
        self.master, self.slave = os.openpty()
        self.out = b""

        def ctty():
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
        self.proc = subprocess.Popen(
            argv, stdin=self.slave, stdout=self.slave, stderr=self.slave,
            env=env, start_new_session=True, preexec_fn=ctty)

    def read_until(self, want, timeout=15):
        end = time.monotonic() + timeout
        while want not in self.out and time.monotonic() < end:
            r, _, _ = select.select([self.master], [], [], 0.1)
            if r:
                try:
                    self.out += os.read(self.master, 4096)
                except OSError:
                    break
        assert want in self.out, self.out
        time.sleep(0.2)       # the read(2) is posted right after the prompt

    def write(self, data):
        os.write(self.master, data)

    def finish(self, timeout=20):
        rc = self.proc.wait(timeout)
        while True:
            r, _, _ = select.select([self.master], [], [], 0.2)
            if not r:
                break
            try:
                chunk = os.read(self.master, 4096)
            except OSError:
                break
            if not chunk:
                break
            self.out += chunk
        return rc

    def echo_on(self):
        return bool(termios.tcgetattr(self.slave)[3] & termios.ECHO)

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        os.close(self.master)
        os.close(self.slave)


def test_set_on_a_terminal_without_echo(make_server, config_for, stamp, env,
                                        keyring):
    pw = "typed-on-a-tty-9137"
    srv = make_server("smtps", user="settty", password=pw)
    cfg = config_for(srv, user="settty", password=None)
    e = kenv(env, keyring)
    t = Pty([stamp, "-C", cfg, "--password", "set", "test"], e)
    try:
        assert t.echo_on()
        t.read_until(b"Password for settty@localhost: ")
        assert not t.echo_on()
        t.write(pw.encode() + b"\r")
        assert t.finish() == 0, t.out
        assert t.echo_on()
    finally:
        t.close()
    for s in secrets_of(pw, "settty"):
        assert s not in t.out, t.out
    assert b"stored the password for settty@localhost" in t.out, t.out
    assert keyring.lookup("localhost", "settty") == pw.encode()
    r = R.run_stamp(["a@x.org"], SIMPLE, cfg, e)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))


@pytest.mark.parametrize("how", ["^C", "SIGTERM", "SIGHUP"])
def test_set_on_a_terminal_interrupted(make_server, config_for, stamp, env,
                                       keyring, how):
    """Echo comes back on even when the prompt is interrupted, and nothing
    is stored."""
    srv = make_server("smtps", user="setint")
    cfg = config_for(srv, user="setint", password=None)
    t = Pty([stamp, "-C", cfg, "--password", "set"], kenv(env, keyring))
    try:
        t.read_until(b"Password for setint@localhost: ")
        assert not t.echo_on()
        t.write(b"half-typed")
        if how == "^C":
            t.write(b"\x03")
            sig = signal.SIGINT
        else:
            sig = getattr(signal, how)
            t.proc.send_signal(sig)
        assert t.finish() == -sig, t.out
        assert t.echo_on()
    finally:
        t.close()
    assert keyring.lookup("localhost", "setint") is None


# --- clear -----------------------------------------------------------------

def test_clear_then_send_says_how_to_add_one(make_server, config_for, env,
                                             keyring):
    srv = make_server("smtps", user="clearme")
    cfg = config_for(srv, user="clearme", password=None)
    e = kenv(env, keyring)
    assert_exit(password(["set", "test"], cfg, e, b"to-be-cleared\n"), 0)
    r = password(["clear", "test"], cfg, e)
    assert_exit(r, 0)
    assert r.stdout.decode() == ("removed the password for clearme@localhost"
                                 " (account 'test') from the Secret "
                                 "Service\n")
    assert keyring.lookup("localhost", "clearme") is None
    r = password(["clear", "test"], cfg, e)
    assert_exit(r, 0)
    assert r.stdout.decode() == ("there was no password for "
                                 "clearme@localhost (account 'test') in the "
                                 "Secret Service\n")
    r = R.run_stamp(["a@x.org"], SIMPLE, cfg, e)
    assert_exit(r, 78)
    assert error_line(r) == ("stamp: no password for clearme@localhost in "
                             "the Secret Service; store one with: stamp "
                             "--password set test")
    srv.settle()
    assert srv.connections == 0


def test_clear_removes_secret_tool_entries_too(make_server, config_for, env,
                                               keyring):
    srv = make_server("smtps", user="clear2")
    keyring.store("localhost", "clear2", "made-by-secret-tool")
    cfg = config_for(srv, user="clear2", password=None)
    assert_exit(password(["clear"], cfg, kenv(env, keyring)), 0)
    assert keyring.lookup("localhost", "clear2") is None


# --- check -----------------------------------------------------------------

def test_check_right_password(make_server, config_for, env, keyring):
    srv = make_server("smtps", user="checkok", password="check-right-pw")
    keyring.store("localhost", "checkok", "check-right-pw")
    cfg = config_for(srv, user="checkok", password=None)
    r = password(["check", "test"], cfg, kenv(env, keyring))
    assert_exit(r, 0)
    assert r.stdout.decode() == ("authenticated as checkok at localhost:%d "
                                 "(TLSv1.3, PLAIN)\n" % srv.port)
    assert r.stderr == b""
    srv.settle()
    verbs = [c.split()[0].upper() for c in srv.commands]
    assert b"MAIL" not in verbs and b"DATA" not in verbs, srv.commands
    assert verbs[-1] == b"QUIT", srv.commands
    assert srv.messages == []
    assert auth_plain_of(srv) == b"\0checkok\0check-right-pw"


def test_check_starttls_login(make_server, config_for, env, keyring):
    srv = make_server("starttls", user="checklogin", password="login-pw",
                      auth_mechanisms=("LOGIN",))
    keyring.store("localhost", "checklogin", "login-pw")
    cfg = config_for(srv, user="checklogin", password=None)
    r = password(["check"], cfg, kenv(env, keyring))
    assert_exit(r, 0)
    assert r.stdout.decode().startswith(
        "authenticated as checklogin at localhost:%d (TLSv1." % srv.port)
    assert r.stdout.decode().endswith(", LOGIN)\n")


def test_check_wrong_password(make_server, config_for, env, keyring):
    srv = make_server("smtps", user="checkbad", password="the-right-one")
    keyring.store("localhost", "checkbad", "a-wrong-one")
    cfg = config_for(srv, user="checkbad", password=None)
    r = password(["check"], cfg, kenv(env, keyring))
    assert_exit(r, 77)
    assert r.stdout == b""
    assert error_line(r) == ("stamp: AUTH PLAIN: 535 5.7.8 Authentication "
                             "credentials invalid")
    assert srv.messages == []


def test_check_uses_password_command_as_a_send_does(make_server, config_for,
                                                    env):
    srv = make_server("smtps", user="checkcmd", password="cmd-pw")
    cfg = config_for(srv, user="checkcmd", password=None,
                     password_command="echo cmd-pw")
    r = password(["check"], cfg, env)
    assert_exit(r, 0)
    assert r.stdout.decode().startswith("authenticated as checkcmd at ")


def test_check_without_user(make_server, config_for, env):
    srv = make_server("smtps")
    cfg = config_for(srv, user=None, password=None)
    r = password(["check"], cfg, env)
    assert_exit(r, 78)
    assert error_line(r) == ("stamp: account 'test' has no user, so there "
                             "is nothing to check (add user = to it in %s)"
                             % cfg)
    srv.settle()
    assert srv.connections == 0


def test_check_without_entry(make_server, config_for, env, keyring):
    srv = make_server("smtps", user="checknone")
    cfg = config_for(srv, user="checknone", password=None)
    r = password(["check"], cfg, kenv(env, keyring))
    assert_exit(r, 78)
    words_in(error_line(r), "no password for checknone@localhost",
             "stamp --password set test")
    srv.settle()
    assert srv.connections == 0


def test_check_unreachable_server(config_for, env, closed_port, make_server):
    srv = make_server("smtps")
    cfg = config_for(srv, port=closed_port)
    r = password(["check"], cfg, env)
    assert_exit(r, 75)


# --- the password stays secret -----------------------------------------------

def test_password_not_in_verbose_stderr_or_syslog(make_server, config_for,
                                                  env, keyring, run_syslog):
    pw = "never-show-me-4711"
    srv = make_server("smtps", user="quiet", password=pw)
    cfg = config_for(srv, user="quiet", password=None)
    e = kenv(env, keyring)
    r = password(["set"], cfg, e, (pw + "\n").encode())
    assert_exit(r, 0)
    assert_no_secret(r, pw, "quiet")
    r = run_syslog(["-v", "--password", "check"], b"", cfg, env=e)
    assert_exit(r, 0)
    assert "-> AUTH PLAIN <redacted>" in r.stderr.decode(), show(r)
    assert_no_secret(r, pw, "quiet")
    r = run_syslog(["-v", "a@x.org"], SIMPLE, cfg, env=e)
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    assert r.syslog, "no syslog line"
    assert_no_secret(r, pw, "quiet")
    srv2 = make_server("smtps", user="quiet", password="something-else")
    cfg2 = config_for(srv2, name="wrong.ini", user="quiet", password=None)
    r = run_syslog(["-v", "a@x.org"], SIMPLE, cfg2, env=e)
    assert_exit(r, 77)
    assert_no_secret(r, pw, "quiet")


# --- lookup errors -----------------------------------------------------------

@pytest.fixture
def locked_keyring(tmp_path):
    """A keyring of our own (the shared one must stay unlocked), with an
    entry for joe@localhost, then locked."""
    kr = Keyring(tmp_path / "locked").start()
    kr.store("localhost", R.USER, R.PASSWORD)
    kr.lock()
    yield kr
    kr.stop()


def test_locked_keyring(smtps, config_for, env, locked_keyring):
    cfg = config_for(smtps, password=None)
    e = kenv(env, locked_keyring)
    want = ("stamp: the Secret Service keyring that holds the password for "
            "joe@localhost is locked, and stamp does not prompt to unlock "
            "it; unlock it (a desktop login does) and try again")
    t0 = time.monotonic()
    r = R.run_stamp(["a@x.org"], SIMPLE, cfg, e)
    assert time.monotonic() - t0 < 5
    assert_exit(r, 78)
    assert error_line(r) == want
    for act in ("check", "set", "clear"):
        r = password([act], cfg, e, b"new-pw\n")
        assert_exit(r, 78)
        assert error_line(r) == want
    smtps.settle()
    assert smtps.connections == 0


def test_locked_default_collection_refuses_set(make_server, config_for, env,
                                               tmp_path):
    srv = make_server("smtps", user="newuser")
    cfg = config_for(srv, user="newuser", password=None)
    with Keyring(tmp_path / "kr") as kr:
        kr.lock()
        r = password(["set"], cfg, kenv(env, kr), b"pw\n")
        assert_exit(r, 78)
        assert error_line(r) == (
            "stamp: the Secret Service's default keyring is locked, and "
            "stamp does not prompt to unlock it; unlock it (a desktop login "
            "does) and try again")
        # A send with no entry at all: "no entry", not "locked".
        r = R.run_stamp(["a@x.org"], SIMPLE, cfg, kenv(env, kr))
        assert_exit(r, 78)
        words_in(error_line(r), "no password for newuser@localhost")


def test_no_bus(smtps, config_for, env):
    """Under cron or ssh: no DBUS_SESSION_BUS_ADDRESS."""
    assert "DBUS_SESSION_BUS_ADDRESS" not in env
    cfg = config_for(smtps, password=None)
    want = ("stamp: Secret Service not reachable: no D-Bus session bus "
            "(DBUS_SESSION_BUS_ADDRESS is not set, as under cron or ssh); "
            "set password_command or password for account 'test' in %s, or "
            "run stamp inside a session with a D-Bus session bus" % cfg)
    for args, data in ((["a@x.org"], SIMPLE), (["--password", "check"], b""),
                       (["--password", "set"], b"pw\n")):
        t0 = time.monotonic()
        r = R.run_stamp(args, data, cfg, env)
        assert time.monotonic() - t0 < 5
        assert_exit(r, 78)
        assert error_line(r) == want
    smtps.settle()
    assert smtps.connections == 0


def test_bus_without_secret_service(smtps, config_for, env, tmp_path):
    cfg = config_for(smtps, password=None)
    with BareBus(tmp_path / "bus") as bus:
        r, took = timed_send(cfg, dict(env,
                                       DBUS_SESSION_BUS_ADDRESS=bus.address))
        assert took < 5
    assert_exit(r, 78)
    line = error_line(r)
    assert line.startswith(
        "stamp: Secret Service not reachable: nothing on the D-Bus session "
        "bus provides it (no gnome-keyring-daemon, KeePassXC, ...) ("), line
    assert "org.freedesktop.secrets" in line, line
    smtps.settle()
    assert smtps.connections == 0


def test_stale_bus_address(smtps, config_for, env, tmp_path):
    """The session ended, the address is left over: at once, and says so."""
    cfg = config_for(smtps, password=None)
    e = dict(env, DBUS_SESSION_BUS_ADDRESS="unix:path=%s" % (tmp_path / "gone"))
    r = R.run_stamp(["a@x.org"], SIMPLE, cfg, e)
    assert_exit(r, 78)
    assert error_line(r).startswith("stamp: Secret Service not reachable: "
                                    "cannot connect to the D-Bus session bus (")


def test_bus_that_never_answers(smtps, config_for, env, tmp_path):
    """A hung session: the socket accepts and says nothing.  Bounded by the
    account's timeout, not D-Bus's 25 s."""
    cfg = config_for(smtps, password=None, timeout="2")
    path = str(tmp_path / "bus")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path)
    s.listen(4)
    try:
        r, took = timed_send(cfg, dict(
            env, DBUS_SESSION_BUS_ADDRESS="unix:path=" + path))
    finally:
        s.close()
    assert_bus_timed_out(r, took, smtps)


def test_password_command_failure_status_and_stderr(smtps, config_for, run):
    cmd = "echo 'gpg: decryption failed: No secret key' >&2; echo more >&2; exit 3"
    cfg = config_for(smtps, password=None, password_command=cmd)
    for args, data in ((["a@x.org"], SIMPLE), (["--password", "check"], b"")):
        r = run(args, data, cfg)
        assert_exit(r, 78)
        assert error_line(r) == ("stamp: password_command failed (exit status "
                                 "3): gpg: decryption failed: No secret key")
    smtps.settle()
    assert smtps.connections == 0


def test_secret_service_that_hangs(smtps, config_for, env, tmp_path):
    """gnome-keyring-daemon owns the name but is stopped (SIGSTOP): the
    lookup gives up after the account's timeout."""
    cfg = config_for(smtps, password=None, timeout="2")
    with Keyring(tmp_path / "hung") as kr:
        kr.store("localhost", R.USER, R.PASSWORD)
        kr.daemon.send_signal(signal.SIGSTOP)
        try:
            r, took = timed_send(cfg, kenv(env, kr))
        finally:
            kr.daemon.send_signal(signal.SIGCONT)
    assert_bus_timed_out(r, took, smtps)


# --- password_command's process group ---------------------------------------

def gone(pid, timeout=5):
    """The process has exited (gone, or a zombie nobody has reaped yet)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with open("/proc/%d/stat" % pid) as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    return True
        except FileNotFoundError:
            return True
        time.sleep(0.05)
    return False


@pytest.mark.parametrize("cmd", [
    "sleep 100 & echo $! > {f}; sleep 100",
    "sh -c 'sleep 100 & echo $! > {f}; sleep 100'",
    "(sleep 100 & echo $! > {f}; wait) & wait"])
def test_command_timeout_kills_what_it_started(smtps, config_for, run,
                                               tmp_path, cmd):
    """The command runs in a process group of its own, and the timeout
    kills the whole group: nothing it started outlives stamp."""
    f = tmp_path / "bgpid"
    cfg = config_for(smtps, password=None, timeout="1",
                     password_command=cmd.format(f=f))
    start = time.monotonic()
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 75)
    assert time.monotonic() - start < 8
    assert error_line(r) == ("stamp: password_command did not finish within "
                             "1 s (timeout = in the account)")
    pid = int(f.read_text())
    if not gone(pid):
        os.kill(pid, signal.SIGKILL)
        pytest.fail("pid %d, started by password_command, outlived the "
                    "timeout" % pid)
    smtps.settle()
    assert smtps.connections == 0


def test_command_that_asks_on_the_terminal(make_server, config_for, stamp,
                                           env):
    """Its own process group gets the terminal's foreground while it runs
    (a background group reading /dev/tty would be stopped by SIGTTIN),
    and stamp takes the terminal back after it."""
    pw = "asked-on-dev-tty-4411"
    srv = make_server("smtps", user="ttycmd", password=pw)
    cfg = config_for(srv, user="ttycmd", password=None, timeout="10",
                     password_command="printf 'secret? ' >/dev/tty; "
                     "read -r p </dev/tty; printf %s \"$p\"")
    t = Pty([stamp, "-C", cfg, "--password", "check"], env)
    try:
        # TOSTOP: a background process that writes to the terminal is
        # stopped, so stamp's own line below proves that it took the
        # terminal back (it prints only after the password is typed).
        mode = termios.tcgetattr(t.slave)
        mode[3] |= termios.TOSTOP
        termios.tcsetattr(t.slave, termios.TCSANOW, mode)
        t.read_until(b"secret? ")
        t.write(pw.encode() + b"\r")
        assert t.finish() == 0, t.out
    finally:
        t.close()
    assert b"authenticated as ttycmd" in t.out, t.out
