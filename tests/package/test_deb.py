"""The Debian packages, installed: make check-package builds stamp and
stamp-mta (make deb), then this installs both with apt, checks the links,
the hardening and the units, sends a message through /usr/sbin/sendmail
exactly as Debian's cron does to aiosmtpd over TLS, purges both packages
and checks that nothing of them is left.  The tests run in file order and
share one installation.

Where: STAMP_PKG_ROOT=host (the default, and what CI does) installs on this
machine.  stamp-mta conflicts with every other mail-transport-agent, so apt
removes one that is installed (Postfix, from the interop suite); after the
purge this test installs it again, so the machine ends as it began.
STAMP_PKG_ROOT=overlay installs into a copy-on-write view of / in a private
mount namespace instead (services neither started nor stopped): the
packages are tested the same way and the machine is left untouched, for
machines shared with others.
"""
import glob
import os
import shutil
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "integration"))

from stamptest import run as R  # noqa: E402
from stamptest.certs import make_certs  # noqa: E402
from stamptest.checks import show, strip_added  # noqa: E402
from stamptest.smtpd import SMTPServer  # noqa: E402

PACKAGES = ["stamp", "stamp-mta"]
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q",
       "--no-install-recommends"]
APT_ENV = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
           "DEBIAN_FRONTEND": "noninteractive", "LANG": "C.UTF-8"}
ADMIN = "admin@example.net"
LINKS = {"/usr/sbin/sendmail": "/usr/sbin/stamp",
         "/usr/lib/sendmail": "/usr/sbin/stamp",
         "/usr/bin/mailq": "/usr/sbin/stamp",
         "/usr/sbin/newaliases": "/usr/sbin/stamp"}

# What Debian's cron pipes into sendmail (CALLERS.md).
CRON_MAIL = (b"From: root (Cron Daemon)\n"
             b"To: root\n"
             b"Subject: Cron <root@host> /usr/local/bin/nightly\n"
             b"MIME-Version: 1.0\n"
             b"Content-Type: text/plain; charset=UTF-8\n"
             b"Content-Transfer-Encoding: 8bit\n"
             b"X-Cron-Env: <SHELL=/bin/sh>\n"
             b"X-Cron-Env: <HOME=/root>\n"
             b"X-Cron-Env: <PATH=/usr/bin:/bin>\n"
             b"X-Cron-Env: <LOGNAME=root>\n"
             b"\n"
             + "nightly: 3 files – ünïcode\n.\nlast line\n".encode())


class HostRoot:
    """This machine."""
    name = "host"

    def run(self, cmd, env=APT_ENV, **kw):
        return subprocess.run(cmd, env=env, capture_output=True, **kw)

    def path(self, p):
        return p

    def close(self):
        pass


class OverlayRoot:
    """A copy-on-write view of / (overlayfs on a tmpfs) in a private mount
    namespace held by one sleeping process; commands run chrooted into it
    through nsenter.  shared is bind-mounted at the same path inside."""
    name = "overlay"
    SETUP = r"""set -e
mount -t tmpfs tmpfs "$1"
mkdir "$1/u" "$1/w" "$1/m"
mount -t overlay overlay -o lowerdir=/,upperdir="$1/u",workdir="$1/w" "$1/m"
for d in proc sys dev; do mount --rbind "/$d" "$1/m/$d"; done
mkdir -p "$1/m$2"
mount --bind "$2" "$1/m$2"
# No service of the machine may be started or stopped from in here.
printf '#!/bin/sh\nexit 101\n' > "$1/m/usr/sbin/policy-rc.d"
chmod 755 "$1/m/usr/sbin/policy-rc.d"
echo ready
exec sleep 86400
"""

    def __init__(self, workdir, shared):
        os.makedirs(workdir)
        self.merged = os.path.join(workdir, "m")
        self.proc = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             self.SETUP, "sh", workdir, shared], stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if line != b"ready\n":
            self.close()
            pytest.fail("cannot set up the overlay root")

    def run(self, cmd, env=APT_ENV, **kw):
        return subprocess.run(["/usr/bin/nsenter", "-t", str(self.proc.pid),
                               "-m", "/usr/sbin/chroot", self.merged] + cmd,
                              env=env,
                              capture_output=True, **kw)

    def path(self, p):
        return "/proc/%d/root%s%s" % (self.proc.pid, self.merged, p)

    def close(self):
        self.proc.kill()
        self.proc.wait()


def ok(r):
    assert r.returncode == 0, "exit %d\nstdout: %s\nstderr: %s" % (
        r.returncode, r.stdout.decode(errors="replace"),
        r.stderr.decode(errors="replace"))
    return r.stdout.decode()


def installed(root, pkg):
    r = root.run(["dpkg-query", "-W", "-f=${Status}", pkg])
    return r.returncode == 0 and r.stdout.decode().endswith(" installed")


def other_mtas(root):
    """Installed packages other than stamp-mta that provide
    mail-transport-agent."""
    out = ok(root.run(["dpkg-query", "-W",
                       "-f=${Package}\t${Status}\t${Provides}\n"]))
    mtas = []
    for line in out.splitlines():
        pkg, status, provides = (line.split("\t") + ["", ""])[:3]
        if (status.endswith(" installed") and pkg != "stamp-mta" and
                "mail-transport-agent" in provides):
            mtas.append(pkg)
    return mtas


@pytest.fixture(scope="module")
def debs(tmp_path_factory):
    if os.geteuid() != 0:
        pytest.skip("installing packages needs root")
    pkgdir = os.environ.get("STAMP_PKGDIR")
    if not pkgdir:
        pytest.fail("STAMP_PKGDIR is not set: run make check-package")
    found = [p for pat in ("stamp_*.deb", "stamp-mta_*.deb")
             for p in glob.glob(os.path.join(pkgdir, pat))]
    assert len(found) == 2, "no .debs in %s: %s" % (pkgdir, found)
    shared = tmp_path_factory.mktemp("pkg")
    os.chmod(shared, 0o755)
    for p in found:
        shutil.copy(p, shared)
    return str(shared), [os.path.join(str(shared), os.path.basename(p))
                         for p in found]


@pytest.fixture(scope="module")
def root(debs, tmp_path_factory):
    shared, _ = debs
    kind = os.environ.get("STAMP_PKG_ROOT", "host")
    if kind == "overlay":
        r = OverlayRoot(str(tmp_path_factory.mktemp("ovl") / "root"),
                        shared)
    elif kind == "host":
        r = HostRoot()
    else:
        pytest.fail("STAMP_PKG_ROOT must be host or overlay, not " + kind)
    r.removed = []
    yield r
    # Whatever happened: leave no stamp package, and put back the MTA that
    # stamp-mta replaced.
    if any(installed(r, p) for p in PACKAGES):
        r.run(APT + ["purge"] + PACKAGES)
    if r.removed:
        r.run(APT + ["install"] + r.removed)
    r.close()


def test_install_replaces_any_other_mta(root, debs):
    _, files = debs
    root.removed = other_mtas(root)
    ok(root.run(APT + ["install"] + files))
    for p in PACKAGES:
        assert installed(root, p), p
    assert other_mtas(root) == []
    for p in root.removed:
        assert not installed(root, p), p


def test_sendmail_links(root):
    for link, target in LINKS.items():
        assert os.path.islink(root.path(link)), link
        # readlink -f in the root: /proc/PID/root is a link itself.
        assert ok(root.run(["readlink", "-f", link])) == target + "\n", link
    for page in ("/usr/share/man/man8/sendmail.8.gz",
                 "/usr/share/man/man1/stamp.1.gz",
                 "/usr/share/man/man5/stamp.ini.5.gz",
                 "/usr/share/doc/stamp/examples/stamp.ini.example",
                 "/etc/cron.d/stamp"):
        assert os.path.exists(root.path(page)), page


def test_binary_is_hardened(root):
    """dpkg-buildflags' hardening: PIE, full RELRO, BIND_NOW, stack
    protector, FORTIFY_SOURCE."""
    binary = root.path("/usr/sbin/stamp")
    head = ok(subprocess.run(["readelf", "-h", binary], capture_output=True))
    assert "DYN (Position-Independent Executable" in head
    prog = ok(subprocess.run(["readelf", "-lW", binary],
                             capture_output=True))
    assert "GNU_RELRO" in prog
    dyn = ok(subprocess.run(["readelf", "-dW", binary], capture_output=True))
    assert "BIND_NOW" in dyn
    syms = ok(subprocess.run(["readelf", "--dyn-syms", "-W", binary],
                             capture_output=True))
    assert "__stack_chk_fail" in syms
    assert "_chk@" in syms.replace("__stack_chk_fail@", "")


def test_units_installed_and_valid(root, debs):
    for unit in ("/lib/systemd/system/stamp-queue.service",
                 "/lib/systemd/system/stamp-queue.timer",
                 "/usr/lib/systemd/user/stamp-queue.service",
                 "/usr/lib/systemd/user/stamp-queue.timer"):
        assert os.path.exists(root.path(unit)), unit
    # The system timer is enabled on install (even without systemd
    # running: deb-systemd-helper makes the links); the user timer is not.
    assert os.path.islink(root.path(
        "/etc/systemd/system/timers.target.wants/stamp-queue.timer"))
    assert not os.path.exists(root.path(
        "/etc/systemd/user/timers.target.wants/stamp-queue.timer"))
    if not os.path.exists(root.path("/usr/bin/systemd-analyze")):
        pytest.skip("no systemd-analyze to verify the units")
    ok(root.run(["systemd-analyze", "verify", "--man=no",
                 "/lib/systemd/system/stamp-queue.service",
                 "/lib/systemd/system/stamp-queue.timer"]))
    # A user manager needs a runtime directory, even to verify.
    rundir = os.path.join(debs[0], "run-user")
    os.makedirs(rundir, mode=0o700, exist_ok=True)
    ok(root.run(["systemd-analyze", "--user", "verify", "--man=no",
                 "/usr/lib/systemd/user/stamp-queue.service",
                 "/usr/lib/systemd/user/stamp-queue.timer"],
                env=dict(APT_ENV, XDG_RUNTIME_DIR=rundir)))


def test_cron_mails_through_sendmail(root, debs, tmp_path_factory):
    """Debian cron: `/usr/sbin/sendmail -FCronDaemon -i -B8BITMIME -oem
    root`, cron's environment (HOME, LOGNAME, SHELL, PATH), the user's
    0600 stamp.ini with the password and an alias for root; aiosmtpd over
    SMTPS with a certificate from a throwaway CA."""
    shared, _ = debs
    certs = make_certs(tmp_path_factory.mktemp("certs", numbered=True))
    # Inside an overlay root only the shared directory is seen: put the CA
    # and the home directory there.
    home = os.path.join(shared, "root-home")
    cfgdir = os.path.join(home, ".config", "stamp")
    os.makedirs(cfgdir)
    ca = shutil.copy(certs.ca_pem, os.path.join(shared, "ca.pem"))
    aliases = os.path.join(shared, "aliases")
    with open(aliases, "w") as f:
        f.write("# system mail\nroot: %s\n" % ADMIN)
    srv = SMTPServer(certs, mode="smtps", user=R.USER,
                     password=R.PASSWORD).start()
    try:
        acct = R.account(srv, None, tls_trust_file=ca, aliases=aliases)
        R.write_config(os.path.join(cfgdir, "stamp.ini"), acct)
        cron_env = {"HOME": home, "LOGNAME": "root", "SHELL": "/bin/sh",
                    "PATH": "/usr/bin:/bin"}
        r = root.run(["/usr/sbin/sendmail", "-FCronDaemon", "-i",
                      "-B8BITMIME", "-oem", "root"], env=cron_env,
                     input=CRON_MAIL, timeout=60)
        assert r.returncode == 0, show(r)
        srv.settle()
        assert len(srv.messages) == 1, show(r)
        m = srv.messages[0]
        assert m.mail_from == R.FROM
        assert m.rcpt_tos == [ADMIN]
        got, _ = strip_added(m.content, domain="example.org")
        assert got == R.crlf(CRON_MAIL.replace(
            b"From: root (Cron Daemon)\n",
            b"From: Cron Daemon <joe@example.org>\n"))
        assert srv.sessions[0].tls_at_auth == [True]
    finally:
        srv.stop()
    # The other names of the program, as the links call it.
    assert root.run(["/usr/bin/mailq"], env=cron_env).returncode == 0
    assert root.run(["/usr/sbin/newaliases"], env=cron_env).returncode == 0


def test_purge_leaves_nothing(root):
    files = []
    for p in PACKAGES:
        files += ok(root.run(["dpkg-query", "-L", p])).splitlines()
    owned = [f for f in files if f.startswith("/") and not
             os.path.isdir(root.path(f))]
    assert "/usr/sbin/sendmail" in owned and "/usr/sbin/stamp" in owned
    # A queue left behind (as stamp -q's system queue would be).
    os.makedirs(root.path("/var/spool/stamp/failed"), exist_ok=True)
    ok(root.run(APT + ["purge"] + PACKAGES))
    for p in PACKAGES:
        assert not installed(root, p), p
    for f in owned + [
            "/etc/cron.d/stamp", "/var/spool/stamp",
            "/usr/share/doc/stamp", "/usr/share/doc/stamp-mta",
            "/etc/systemd/system/timers.target.wants/stamp-queue.timer",
            "/etc/systemd/system/network-online.target.wants/"
            "stamp-queue.service",
            "/var/lib/systemd/deb-systemd-helper-enabled/"
            "stamp-queue.timer.dsh-also"]:
        assert not os.path.lexists(root.path(f)), f
    r = root.run(["dpkg-query", "-W", "-f=${Status}"] + PACKAGES)
    assert "installed" not in r.stdout.decode().replace(
        "not-installed", ""), r.stdout


def test_replaced_mta_comes_back(root):
    """The MTA that stamp-mta replaced is installed again."""
    if not root.removed:
        pytest.skip("no other MTA was installed")
    ok(root.run(APT + ["install"] + root.removed))
    for p in root.removed:
        assert installed(root, p), p
    root.removed = []
