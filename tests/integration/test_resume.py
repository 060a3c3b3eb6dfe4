"""TLS session resumption (issue 5): a per-user cache of sessions, so that a
burst of cron mail skips full handshakes, without ever skipping a check.

Decisions tested here (tcache.h, tls.h, stamp.ini(5) tls_resume):
  - the second send to the same server resumes (the server says so), over
    SMTPS and STARTTLS, TLS 1.3 and 1.2;
  - tls_resume = off: no cache file, no resumption;
  - the cache is $XDG_CACHE_HOME/stamp/tls or ~/.cache/stamp/tls, the
    directories 0700, the entries 0600, one per host, port and settings;
  - a corrupt entry costs a full handshake, not the message, and is
    replaced;
  - a session is offered only under the settings that verified it: an
    entry planted under another host's key is not used, the host is
    verified (a session from a pinned certificate not valid for the host
    would otherwise resume); changing tls_trust_file (even its contents)
    or tls_fingerprint means a full handshake;
  - 20 sends at once all deliver and leave one valid entry;
  - the temporary file of a writer killed between create and rename is
    removed by the next store (its pid gone, or older than a minute);
  - a cache that cannot be written or is not safe to use never costs the
    message.
"""
import os
import re
import shutil
import stat
import subprocess

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, show

MODES = ["smtps", "starttls"]


def cache_dir(home):
    return os.path.join(home, ".cache", "stamp", "tls")


def entries(home):
    d = cache_dir(home)
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def send(run, cfg, n=1, env=None):
    """n sends one after the other, -v; all must deliver."""
    out = []
    for _ in range(n):
        r = run(["-v", "a@x.org"], SIMPLE, cfg, **(
            {"env": env} if env else {}))
        assert_exit(r, 0)
        out.append(r)
    return out


def one_entry(home):
    """The only cache entry: (its name, its path, its bytes)."""
    [e] = entries(home)
    path = os.path.join(cache_dir(home), e)
    with open(path, "rb") as f:
        return e, path, f.read()


def err(r):
    return r.stderr.decode("utf-8", "replace")


def key_named(r):
    """The entry name that stamp looked for (from its -v trace)."""
    m = re.search(r"TLS session cache: (?:no entry|entry) ([0-9a-f]{64})",
                  err(r))
    assert m, "no cache trace" + show(r)
    return m.group(1)


# -- resumption --------------------------------------------------------------

@pytest.mark.parametrize("mode", MODES)
def test_second_send_resumes(tls_server, config_for, run, home, mode):
    srv = tls_server(mode)
    cfg = config_for(srv)
    r = send(run, cfg, 3)
    srv.settle()
    assert len(srv.messages) == 3
    assert srv.reused() == [False, True, True], srv.reused()
    assert "TLS session resumed" not in err(r[0])
    assert "TLS session resumed" in err(r[1]), show(r[1])
    assert len(entries(home)) == 1


def test_tls12_session_resumes(tls_server, config_for, run, home):
    srv = tls_server("smtps", max_version="TLSv1_2")
    send(run, config_for(srv), 2)
    srv.settle()
    assert [s.tls_version for s in srv.sessions] == ["TLSv1.2"] * 2
    assert srv.reused() == [False, True]


@pytest.mark.parametrize("mode", MODES)
def test_resume_off(tls_server, config_for, run, home, mode):
    srv = tls_server(mode)
    send(run, config_for(srv, tls_resume="off"), 2)
    srv.settle()
    assert len(srv.messages) == 2
    assert srv.reused() == [False, False]
    assert not os.path.exists(os.path.join(home, ".cache", "stamp"))


def test_modes_and_location(tls_server, config_for, run, home):
    srv = tls_server("smtps")
    send(run, config_for(srv))
    for d in (os.path.join(home, ".cache"),
              os.path.join(home, ".cache", "stamp"), cache_dir(home)):
        assert stat.S_IMODE(os.stat(d).st_mode) == 0o700, d
    [e] = entries(home)
    assert re.fullmatch(r"[0-9a-f]{64}", e)
    assert stat.S_IMODE(os.stat(os.path.join(cache_dir(home), e))
                        .st_mode) == 0o600


def test_xdg_cache_home(tls_server, config_for, run, home, env):
    srv = tls_server("smtps")
    xdg = os.path.join(home, "xdg")
    env = dict(env, XDG_CACHE_HOME=xdg)
    send(run, config_for(srv), 2, env=env)
    srv.settle()
    assert srv.reused() == [False, True]
    assert len(os.listdir(os.path.join(xdg, "stamp", "tls"))) == 1
    assert not os.path.exists(os.path.join(home, ".cache"))


def test_no_home_no_cache(tls_server, config_for, run, home):
    """Without HOME (as some daemons run) there is no cache: delivered."""
    srv = tls_server("smtps")
    send(run, config_for(srv), 2, env=R.base_env())
    srv.settle()
    assert srv.reused() == [False, False]


# -- untrusted entries -------------------------------------------------------

def test_corrupt_entry_full_handshake_replaced(tls_server, config_for, run,
                                               home):
    srv = tls_server("smtps")
    cfg = config_for(srv)
    send(run, cfg)
    e, path, good = one_entry(home)
    bad = b"\x30\x82garbage" + good[10:len(good) // 2]
    with open(path, "wb") as f:
        f.write(bad)
    [r] = send(run, cfg)
    assert "not used: not a TLS session" in err(r), show(r)
    assert "stored entry %s" % e in err(r), show(r)
    with open(path, "rb") as f:
        assert f.read() != bad
    send(run, cfg)          # the replacement is a valid entry
    srv.settle()
    assert len(srv.messages) == 3
    assert srv.reused() == [False, False, True]


@pytest.mark.parametrize("how", ["oversize", "group-writable", "symlink",
                                 "foreign-owned"])
def test_unsafe_entry_ignored(tls_server, config_for, run, home, how):
    srv = tls_server("smtps")
    cfg = config_for(srv)
    send(run, cfg)
    e, path, before = one_entry(home)
    if how == "oversize":
        with open(path, "ab") as f:
            f.write(b"\0" * 40000)
    elif how == "group-writable":
        os.chmod(path, 0o620)
    elif how == "symlink":
        os.rename(path, path + ".real")
        os.symlink(path + ".real", path)
    else:
        os.chown(path, 65534, 65534)
    [r] = send(run, cfg)
    assert "entry %s ignored" % e in err(r), show(r)
    srv.settle()
    assert srv.reused() == [False, False]
    if how == "symlink":        # replaced by a file; the target untouched
        assert not os.path.islink(path)
        with open(path + ".real", "rb") as f:
            assert f.read() == before


@pytest.mark.parametrize("pin", [False, True])
def test_planted_entry_not_used_host_verified(tls_server, write_config,
                                              certs, run, home, pin):
    """The server presents a certificate for other.example.  Account A
    (host 127.0.0.1) pins it, and gets a session.  Account B (host
    localhost) verifies the name, or pins another certificate: its full
    handshake fails.  A's entry planted under B's name resumes nothing:
    B's host is still verified, and B still fails."""
    srv = tls_server("smtps", cert="wrongname")
    a = write_config(R.account(srv, certs, host="127.0.0.1",
                               tls_fingerprint=certs.fingerprint("wrongname")),
                     name="a.ini")
    b = write_config(R.account(srv, certs, tls_fingerprint=(
        certs.fingerprint("server") if pin else None)), name="b.ini")
    send(run, a)
    [ea] = entries(home)
    r = run(["-v", "a@x.org"], SIMPLE, b)
    assert_exit(r, 69)
    eb = key_named(r)
    assert eb != ea
    shutil.copy(os.path.join(cache_dir(home), ea),
                os.path.join(cache_dir(home), eb))
    r = run(["-v", "a@x.org"], SIMPLE, b)
    assert_exit(r, 69)
    why = ("not the pinned one" if pin else "not for the host")
    assert "entry %s not used: its certificate is %s" % (eb, why) in \
        err(r), show(r)
    assert ("fingerprint mismatch" if pin else "not for localhost") in \
        err(r).splitlines()[-1], show(r)
    assert entries(home) == [ea]        # the planted one is dropped
    srv.settle()
    assert srv.reused() == [False]      # only A's first send did TLS
    assert len(srv.messages) == 1


@pytest.mark.parametrize("change", ["trust_file", "trust_file_contents",
                                    "fingerprint"])
def test_changed_settings_no_reuse(tls_server, config_for, run, home,
                                   tmp_path, certs, change):
    srv = tls_server("smtps")
    ca = tmp_path / "ca.pem"
    shutil.copy(certs.ca_pem, ca)
    send(run, config_for(srv, tls_trust_file=str(ca)))
    if change == "trust_file":
        other = tmp_path / "ca2.pem"
        shutil.copy(certs.ca_pem, other)
        cfg = config_for(srv, tls_trust_file=str(other))
    elif change == "trust_file_contents":
        with open(ca, "a") as f:
            f.write("\n")
        cfg = config_for(srv, tls_trust_file=str(ca))
    else:
        cfg = config_for(srv, tls_trust_file=str(ca),
                         tls_fingerprint=certs.fingerprint("server"))
    send(run, cfg, 2)
    srv.settle()
    assert srv.reused() == [False, False, True]
    assert len(entries(home)) == 2


# -- many at once, and caches that cannot be used ----------------------------

def test_twenty_concurrent_sends(tls_server, config_for, run, stamp, env,
                                 home):
    """20 at once on an empty cache, then 20 at once that all load and
    store the same entry: all delivered, one entry, no temporary files
    left, and it resumes."""
    srv = tls_server("smtps")
    cfg = config_for(srv)
    for _ in range(2):
        procs = [subprocess.Popen(R.stamp_cmd(["a@x.org"], cfg, stamp),
                                  env=env, stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
                 for _ in range(20)]
        for p in procs:
            _, e = p.communicate(SIMPLE, timeout=60)
            assert p.returncode == 0, e
        assert entries(home) and len(entries(home)) == 1, entries(home)
    srv.settle()
    assert len(srv.messages) == 40
    [r] = send(run, cfg)
    assert "TLS session resumed" in err(r), show(r)


def test_killed_writers_temporary_files_removed(tls_server, config_for,
                                                run, home):
    """What a stamp killed between writing a new entry and renaming it
    leaves (".<key>.<pid>.tmp") is removed by the next send that stores
    a session: its pid is gone, or it is older than a minute.  A live
    writer's is left alone."""
    srv = tls_server("smtps")
    cfg = config_for(srv)
    send(run, cfg)
    [key] = entries(home)
    p = subprocess.Popen(["true"])
    p.wait()                                   # a pid nobody has now
    d = cache_dir(home)
    dead = os.path.join(d, ".%s.%d.tmp" % (key, p.pid))
    old = os.path.join(d, ".%s.%d.tmp" % ("0" * 64, os.getpid()))
    live = os.path.join(d, ".%s.%d.tmp" % ("1" * 64, os.getpid()))
    for f in (dead, old, live):
        fd = os.open(f, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, b"half an entry")
        os.close(fd)
    os.utime(old, (os.path.getmtime(old) - 120,) * 2)
    [r] = send(run, cfg)
    assert "TLS session resumed" in err(r), show(r)
    assert sorted(entries(home)) == sorted([key, os.path.basename(live)])
    assert "removed %s, left by process %d" % (os.path.basename(dead),
                                              p.pid) in err(r), show(r)


@pytest.mark.parametrize("how", ["cache-is-a-file", "world-writable-dir",
                                 "foreign-dir"])
def test_unusable_cache_still_delivers(tls_server, config_for, run, home,
                                       how):
    srv = tls_server("smtps")
    cfg = config_for(srv)
    if how == "cache-is-a-file":
        open(os.path.join(home, ".cache"), "w").close()
    else:
        os.makedirs(cache_dir(home))
        if how == "world-writable-dir":
            os.chmod(cache_dir(home), 0o777)
        else:
            os.chown(cache_dir(home), 65534, 65534)
    r = send(run, cfg, 2)
    assert "TLS session cache: " in err(r[0]), show(r[0])
    srv.settle()
    assert len(srv.messages) == 2
    assert srv.reused() == [False, False]
    if how != "cache-is-a-file":
        assert os.listdir(cache_dir(home)) == []


@pytest.fixture
def immutable():
    """immutable(path): chattr +i (even root cannot create files in such a
    directory), undone at teardown; skips where chattr does not work."""
    done = []

    def make(path):
        r = subprocess.run(["chattr", "+i", path], capture_output=True)
        if r.returncode != 0:
            pytest.skip("chattr +i not possible here: %r" % r.stderr)
        done.append(path)
    yield make
    for p in done:
        subprocess.run(["chattr", "-i", p], check=True)


def test_unwritable_cache_dir_still_delivers(tls_server, config_for, run,
                                             home, immutable):
    """The cache directory cannot be written (an immutable directory: the
    tests run as root, whom permissions do not stop): every send is
    delivered, a held entry is still used, and -v says why nothing new was
    kept."""
    srv = tls_server("smtps")
    cfg = config_for(srv)
    send(run, cfg)
    [e] = entries(home)
    immutable(cache_dir(home))
    r = send(run, cfg, 2)
    for x in r:
        assert "TLS session resumed" in err(x), show(x)
        assert "TLS session cache: cannot write an entry" in err(x), show(x)
    srv.settle()
    assert len(srv.messages) == 3
    assert srv.reused() == [False, True, True]
    assert entries(home) == [e]
