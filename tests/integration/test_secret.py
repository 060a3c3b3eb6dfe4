"""Where the password comes from: password_command, else password, else the
Secret Service (host, service=smtp, user), and failing fast without one."""
import time

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, assert_sent, error_line, \
    words_in


def keyring_env(env, keyring):
    e = dict(env)
    e.update(keyring.env)
    return e


def test_password_from_gnome_keyring(smtps, config_for, run, env, keyring):
    keyring.store("localhost", R.USER, R.PASSWORD)
    cfg = config_for(smtps, password=None)
    r = run(["a@x.org"], SIMPLE, cfg, env=keyring_env(env, keyring))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_keyring_lookup_uses_host_and_user(make_server, config_for, run, env,
                                           keyring):
    """Entries for other hosts/users must not be used."""
    srv = make_server("smtps", user="kuser", password="kuser-pw")
    keyring.store("127.0.0.1", "kuser", "kuser-pw")
    keyring.store("localhost", "kuser", "wrong-host-entry")
    keyring.store("127.0.0.1", "other", "wrong-user-entry")
    cfg = config_for(srv, host="127.0.0.1", user="kuser", password=None)
    r = run(["a@x.org"], SIMPLE, cfg, env=keyring_env(env, keyring))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))


def test_keyring_without_entry(smtps, config_for, run, env, keyring):
    cfg = config_for(smtps, user="nobody-stored", password=None)
    t0 = time.monotonic()
    r = run(["a@x.org"], SIMPLE, cfg, env=keyring_env(env, keyring))
    assert_exit(r, 78)
    words_in(error_line(r), ("nobody-stored", "password", "secret"))
    assert time.monotonic() - t0 < 5
    smtps.settle()
    assert smtps.connections == 0     # looked up before connecting


def test_no_secret_service_fails_fast(smtps, config_for, run, env):
    """Like under cron: no DBUS_SESSION_BUS_ADDRESS, no DISPLAY."""
    assert "DBUS_SESSION_BUS_ADDRESS" not in env and "DISPLAY" not in env
    cfg = config_for(smtps, password=None)
    t0 = time.monotonic()
    r = run(["a@x.org"], SIMPLE, cfg, timeout=20)
    took = time.monotonic() - t0
    assert_exit(r, 78)
    line = error_line(r)
    words_in(line, "secret service",
             ("reachable", "unavailable", "not available", "no session bus",
              "d-bus", "dbus"))
    assert took < 5, "took %.1fs" % took
    smtps.settle()
    assert smtps.connections == 0


def test_password_command(smtps, config_for, run):
    cfg = config_for(smtps, password=None,
                     password_command="printf %%s %s" % R.PASSWORD)
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_password_command_trailing_newline_stripped(smtps, config_for, run):
    """`echo secret` / `pass show` print a newline after the password."""
    cfg = config_for(smtps, password=None,
                     password_command="echo %s" % R.PASSWORD)
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_password_and_password_command_together_are_refused(smtps, config_for,
                                                            run):
    """Two sources for one password would make one of them silently
    ignored: the configuration is refused, and nothing is sent."""
    cfg = config_for(smtps, password="wrong-in-file",
                     password_command="printf %%s %s" % R.PASSWORD)
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 78)
    line = error_line(r)
    assert "password" in line and "password_command" in line, line
    assert "keep one" in line, line
    smtps.settle()
    assert smtps.messages == [] and smtps.sessions == []


def test_password_wins_over_secret_service(make_server, config_for, run, env,
                                           keyring):
    srv = make_server("smtps", user="puser", password="file-pw")
    keyring.store("localhost", "puser", "keyring-pw-not-this-one")
    cfg = config_for(srv, user="puser", password="file-pw")
    r = run(["a@x.org"], SIMPLE, cfg, env=keyring_env(env, keyring))
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))


def test_password_command_failing(smtps, config_for, run):
    cfg = config_for(smtps, password=None, password_command="exit 3")
    r = run(["a@x.org"], SIMPLE, cfg)
    assert_exit(r, 78)
    words_in(error_line(r), "password_command")
    smtps.settle()
    assert smtps.connections == 0



def test_password_command_that_hangs_is_bounded(smtps, config_for, run):
    """A command waiting for a prompt nobody answers (cron) must not hang
    stamp: it gets the account's timeout, then stamp gives up with 75."""
    cfg = config_for(smtps, password=None, timeout="2",
                     password_command="sleep 60")
    start = time.monotonic()
    r = run(["a@x.org"], SIMPLE, cfg)
    elapsed = time.monotonic() - start
    assert_exit(r, 75)
    assert 1.5 < elapsed < 10, elapsed
    words_in(error_line(r), "password_command")
    assert "did not finish within 2 s" in error_line(r), error_line(r)
    smtps.settle()
    assert smtps.connections == 0


def test_password_command_that_closes_its_output_and_lingers(smtps,
                                                            config_for, run):
    """Output closed, process still running (a helper that detaches
    badly): the wait for its exit is bounded by the timeout too."""
    cfg = config_for(smtps, password=None, timeout="2",
                     password_command="echo %s; exec >&- 2>&-; sleep 60"
                     % R.PASSWORD)
    start = time.monotonic()
    r = run(["a@x.org"], SIMPLE, cfg, timeout=40)
    elapsed = time.monotonic() - start
    assert_exit(r, 75)
    assert 1.5 < elapsed < 10, elapsed
    assert "did not finish within 2 s" in error_line(r), error_line(r)
    smtps.settle()
    assert smtps.connections == 0


def test_keyring_under_dbus_run_session(smtps, config_for, env, tmp_path):
    """LIBSECRET.md section 2, literally: one dbus-run-session holds the
    unlocked keyring, secret-tool stores the password, and stamp (with no
    password in its configuration) finds it there."""
    import subprocess
    cfg = config_for(smtps, password=None)
    script = r'''
set -e
printf '%s' unlock-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
until dbus-send --session --print-reply --dest=org.freedesktop.DBus \
    /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
    string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'; do
  sleep 0.1
done
printf '%s' "$PW" | secret-tool store --label=stamp host localhost service smtp user "$SUSER"
exec "$STAMP" -C "$CFG" a@x.org
'''
    e = dict(env, HOME=str(tmp_path), PW=R.PASSWORD, SUSER=R.USER,
             STAMP=R.stamp_path(), CFG=str(cfg))
    r = subprocess.run(["dbus-run-session", "--", "sh", "-c", script],
                       input=SIMPLE, env=e, capture_output=True, timeout=60)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def loaded_libraries(r):
    """The libraries ld.so loaded for a run under LD_DEBUG=files."""
    return [line.split("file=", 1)[1].split()[0]
            for line in r.stderr.decode(errors="replace").splitlines()
            if "file=" in line and "[0];  needed by" in line
            or "file=" in line and "dynamically loaded by" in line]


def test_glib_only_when_the_keyring_is_asked(make_server, config_for, run,
                                              env, keyring):
    """DESIGN.md 1.4: stamp is not linked with libsecret or GLib; a send
    with the password in the file never loads them, a keyring lookup
    does (dlopen)."""
    srv = make_server("smtps", user="lazy", password="lazy-pw")
    cfg = config_for(srv, user="lazy", password="lazy-pw")
    r = run(["a@x.org"], SIMPLE, cfg,
            env={**keyring_env(env, keyring), "LD_DEBUG": "files"})
    assert_sent(r, srv, ["a@x.org"], R.crlf(SIMPLE))
    libs = loaded_libraries(r)
    assert any("libcrypto" in f for f in libs), libs   # the probe works
    assert not [f for f in libs if "libsecret" in f or "libglib" in f], libs

    keyring.store("localhost", "lazy", "lazy-pw")
    cfg = config_for(srv, user="lazy", password=None)
    r = run(["a@x.org"], SIMPLE, cfg,
            env={**keyring_env(env, keyring), "LD_DEBUG": "files"})
    assert r.returncode == 0, r.stderr[-2000:]
    libs = loaded_libraries(r)
    assert any("libsecret-1.so.0" in f for f in libs), libs
    assert len(srv.messages) == 2
