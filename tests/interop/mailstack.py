"""Real Postfix + Dovecot on loopback, private to one test run.

Everything lives in one directory made for the run (RUN below); nothing
under /etc/postfix, /etc/dovecot or /var is read for configuration or
written.  Needs root (Postfix's master and Dovecot start as root and drop
privileges) and the Debian packages postfix and dovecot-core.

  RUN/postfix/main.cf, master.cf, vmailbox   Postfix's configuration
  RUN/spool                                  its queue (private/auth is
                                             Dovecot's SASL socket)
  RUN/mail/<user>/{new,cur,tmp}              virtual(8) Maildirs
  RUN/maillog                                Postfix's log (postlogd)
  RUN/dovecot/dovecot.conf, users            Dovecot: auth service only
  RUN/dovecot.log                            Dovecot's log
  RUN/certs                                  the throwaway CA (certs.py)

MailStack(make_certs, oauth2_key=KEY) also gives Dovecot an oauth2 passdb
for XOAUTH2 and OAUTHBEARER that validates HS256 JWTs locally
(introspection_mode = local): RUN/dovecot/oauth2.conf.ext, and the key,
base64, in RUN/dovecot/jwt-keys/default/HS256/default (the dict path
Dovecot looks up for a token without azp and kid).  The token's sub is
the user name.  tests/integration/stamptest/oauthprovider.py signs such
tokens.

Postfix listens on two free 127.0.0.1 ports chosen at start: submission
(STARTTLS required, like 587) and smtps (TLS wrapper mode, like 465).
(The smtps listener logs its TLS
handshakes in detail, smtpd_tls_loglevel = 2, "Reusing old session" among
them.)  Both want SASL (Dovecot) before they relay, and both deliver the domain
DOMAIN to Maildirs with virtual(8); anything else is refused unless the
client authenticated.  stop() ends both daemons and checks that no
process of theirs is left.
"""
import base64
import os
import pwd
import grp
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from stamptest.run import free_port  # the interop conftest sets the path

DOMAIN = "interop.test"
MAILBOXES = ("alice", "bob", "carol")
USER = "joe"
PASSWORD = "s3cret-Pa55w0rd"
# What Debian 12's Dovecot (2.3.19) can offer over a passwd-file whose
# passwords are stored in clear ({PLAIN}): the only storage scheme from
# which every one of these can be computed.
MECHANISMS = ("PLAIN", "LOGIN", "CRAM-MD5", "DIGEST-MD5", "SCRAM-SHA-1",
              "SCRAM-SHA-256")
MESSAGE_SIZE_LIMIT = 20 * 1024 * 1024

POSTFIX = "/usr/sbin/postfix"
DOVECOT = "/usr/sbin/dovecot"

MAIN_CF = """\
# Written by tests/interop/mailstack.py for one test run.
compatibility_level = 3.6
queue_directory = {run}/spool
data_directory = {run}/data
meta_directory = /etc/postfix
mail_owner = postfix
setgid_group = postdrop
myhostname = mx.{domain}
mydomain = {domain}
myorigin = $myhostname
mydestination =
mynetworks = 127.0.0.1/32
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
relayhost =
# Nothing leaves this machine: mail for other domains (accepted only from
# authenticated clients) bounces at once.
default_transport = error:5.7.1 no mail leaves the interop test
relay_transport = $default_transport
local_transport = error:5.1.1 no local delivery
alias_maps =
alias_database =
local_recipient_maps =
biff = no
# The message goes to the Maildir as the client sent it: no header added
# or rewritten for loopback clients.
local_header_rewrite_clients =
always_add_missing_headers = no
message_size_limit = {size_limit}
mailbox_size_limit = 0
virtual_mailbox_limit = 0
virtual_mailbox_domains = {domain}
virtual_mailbox_base = {run}/mail
virtual_mailbox_maps = texthash:{run}/postfix/vmailbox
virtual_uid_maps = static:{uid}
virtual_gid_maps = static:{gid}
virtual_minimum_uid = 1
maillog_file = {run}/maillog
maillog_file_prefixes = {run}
smtpd_banner = $myhostname ESMTP interop
smtpd_tls_chain_files = {key}, {cert}
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_sasl_security_options = noanonymous
smtpd_sasl_tls_security_options = noanonymous
smtpd_sasl_authenticated_header = no
# Relay only for authenticated clients, and (a submission service) no
# mail at all from the others, not even for DOMAIN.
smtpd_relay_restrictions = permit_sasl_authenticated, reject_unauth_destination
smtpd_recipient_restrictions = permit_sasl_authenticated, reject
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100
smtpd_hard_error_limit = 100
"""

# Only the services this test needs.  No chroot: the daemons read the
# run directory directly.
MASTER_CF = """\
# service type  private unpriv  chroot  wakeup  maxproc command + args
127.0.0.1:{submission} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
127.0.0.1:{smtps} inet n - n - - smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_tls_loglevel=2
  -o smtpd_sasl_auth_enable=yes
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
local     unix  -       n       n       -       -       local
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""

DOVECOT_CONF = """\
# Written by tests/interop/mailstack.py: the auth service only, for
# Postfix's smtpd_sasl_type = dovecot.
base_dir = {run}/dovecot/run
state_dir = {run}/dovecot/state
instance_name = stamp-interop-{tag}
protocols =
listen = 127.0.0.1
log_path = {run}/dovecot.log
info_log_path = {run}/dovecot.log
debug_log_path = {run}/dovecot.log
auth_verbose = yes
# A wrong password is answered at once (tests try several).
auth_failure_delay = 0
auth_mechanisms = {mechanisms}{oauth2_mechanisms}
auth_realms =
auth_default_realm =
disable_plaintext_auth = no
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
{oauth2_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {run}/dovecot/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={run}/mail/%u
}}
# No auth penalty (Dovecot's wiki, Authentication/Penalty): a wrong
# password would otherwise slow every later login from 127.0.0.1.
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  unix_listener {run}/spool/private/auth {{
    mode = 0660
    user = postfix
    group = postfix
  }}
}}
"""

# With oauth2_key: JWTs checked against the key, no network (Dovecot 2.3's
# oauth2-jwt.c: typ JWT, sub, exp, iat; the key from the dict).
OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {run}/dovecot/oauth2.conf.ext
}}
"""

OAUTH2_CONF = """\
# Written by tests/interop/mailstack.py: local validation of HS256 JWTs.
introspection_mode = local
local_validation_key_dict = fs:posix:prefix={run}/dovecot/jwt-keys/
username_attribute = sub
issuers = {issuer}
"""
OAUTH2_ISSUER = "https://127.0.0.1/"


def _wait(what, pred, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.05)
    raise RuntimeError("timed out waiting for " + what)


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return True
    except OSError:
        return False


def _group_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


class MailStack:
    """MailStack(make_certs).start() ... .stop().  make_certs(dir) is
    stamptest.certs.make_certs."""

    def __init__(self, make_certs, oauth2_key=None):
        self.make_certs = make_certs
        self.oauth2_key = oauth2_key
        self.run = None
        self.procs = []
        self.submission = self.smtps = None

    # -- start / stop --------------------------------------------------

    def start(self):
        # World-traversable (0755): virtual(8) delivers as nobody and
        # smtpd reaches the auth socket as postfix.
        self.run = tempfile.mkdtemp(prefix="stamp-interop-")
        os.chmod(self.run, 0o755)
        try:
            self._write_files()
            self._start_postfix()
            self._start_dovecot()
        except BaseException:
            self.stop()
            raise
        return self

    def _path(self, *parts):
        return os.path.join(self.run, *parts)

    def _write(self, rel, text, mode=0o644):
        p = self._path(rel)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def _write_files(self):
        for d in ("postfix", "spool", "mail", "dovecot", "certs"):
            os.mkdir(self._path(d), 0o755)
        self.certs = self.make_certs(self._path("certs"))
        self.uid = pwd.getpwnam("nobody").pw_uid
        self.gid = grp.getgrnam("nogroup").gr_gid
        os.chown(self._path("mail"), self.uid, self.gid)
        self.submission, self.smtps = free_port(), free_port()
        while self.smtps == self.submission:
            self.smtps = free_port()
        f = dict(run=self.run, domain=DOMAIN, uid=self.uid, gid=self.gid,
                 key=self.certs.server_key, cert=self.certs.server_pem,
                 size_limit=MESSAGE_SIZE_LIMIT, submission=self.submission,
                 smtps=self.smtps, tag=os.path.basename(self.run),
                 mechanisms=" ".join(m.lower() for m in MECHANISMS),
                 oauth2_mechanisms="", oauth2_passdb="",
                 issuer=OAUTH2_ISSUER)
        if self.oauth2_key is not None:
            f["oauth2_mechanisms"] = " xoauth2 oauthbearer"
            f["oauth2_passdb"] = OAUTH2_PASSDB.format(**f)
            self._write_oauth2(f)
        self._write("postfix/main.cf", MAIN_CF.format(**f))
        self._write("postfix/master.cf", MASTER_CF.format(**f))
        self._write("postfix/vmailbox", "".join(
            "%s@%s %s/\n" % (m, DOMAIN, m) for m in MAILBOXES))
        self._write("dovecot/dovecot.conf", DOVECOT_CONF.format(**f))
        self._write("dovecot/users", "%s:{PLAIN}%s::::\n" % (USER, PASSWORD),
                    0o640)
        os.chown(self._path("dovecot/users"), 0,
                 grp.getgrnam("dovecot").gr_gid)
        open(self._path("maillog"), "w").close()

    def _write_oauth2(self, f):
        self._write("dovecot/oauth2.conf.ext", OAUTH2_CONF.format(**f))
        d = self._path("dovecot", "jwt-keys", "default", "HS256")
        os.makedirs(d, 0o755)
        # No newline: the whole file is the base64 value.
        self._write("dovecot/jwt-keys/default/HS256/default",
                    base64.b64encode(self.oauth2_key).decode())

    def _spawn(self, name, argv):
        log = open(self._path(name + ".out"), "wb")
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log,
                             stderr=subprocess.STDOUT,
                             start_new_session=True)
        log.close()
        self.procs.append((name, p))
        return p

    def _start_postfix(self):
        # start-fg: the master stays our child (not PID 1: it runs
        # "master -s" under postfix-script), in a session of its own.
        p = self._spawn("postfix", [POSTFIX, "-c", self._path("postfix"),
                                    "start-fg"])
        for port in (self.submission, self.smtps):
            _wait("Postfix on 127.0.0.1:%d" % port,
                  lambda: _listening(port) or p.poll() is not None)
            if p.poll() is not None:
                raise RuntimeError("postfix exited %s:\n%s%s" % (
                    p.returncode, self.output("postfix"), self.maillog()))

    def _start_dovecot(self):
        p = self._spawn("dovecot", [DOVECOT, "-F", "-c",
                                    self._path("dovecot/dovecot.conf")])
        sock = self._path("spool/private/auth")
        _wait("Dovecot's auth socket",
              lambda: os.path.exists(sock) or p.poll() is not None)
        if p.poll() is not None:
            raise RuntimeError("dovecot exited %s:\n%s%s" % (
                p.returncode, self.output("dovecot"), self.dovecot_log()))

    def _master_pid(self):
        try:
            with open(self._path("spool/pid/master.pid")) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def process_groups(self):
        """The process groups of this stack's daemons (the Postfix
        master's, and our sessions: postfix-script's and Dovecot's)."""
        groups = [p.pid for _, p in self.procs]
        master = self._master_pid()
        return groups + ([master] if master is not None else [])

    def stop(self):
        """Stop both daemons; raise if any of their processes survives."""
        if self.run is None:
            return
        # The master leads a process group of its own (its children are
        # in it); postfix-script and Dovecot lead our sessions.
        groups = [(name, p.pid) for name, p in self.procs]
        master = self._master_pid()
        if master is not None:
            groups.append(("postfix master", master))
        if any(n == "postfix" for n, _ in self.procs):
            subprocess.run([POSTFIX, "-c", self._path("postfix"), "stop"],
                           stdin=subprocess.DEVNULL, capture_output=True,
                           timeout=30)
        for name, p in self.procs:
            if name == "dovecot" and p.poll() is None:
                p.send_signal(signal.SIGTERM)
        left = []
        for name, p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                left.append(name)
                p.kill()
                p.wait()
        # Our children are reaped: a group still alive now is real.
        end = time.monotonic() + 10
        for name, pgid in groups:
            while _group_alive(pgid) and time.monotonic() < end:
                time.sleep(0.05)
            if _group_alive(pgid):
                left.append(name + "'s children")
                os.killpg(pgid, signal.SIGKILL)
        self.procs = []
        if left:
            raise RuntimeError("still running after stop: " + ", ".join(left))
        if not os.environ.get("STAMP_INTEROP_KEEP"):
            shutil.rmtree(self.run, ignore_errors=True)
        self.run = None

    # -- what the tests look at ----------------------------------------

    def output(self, name):
        with open(self._path(name + ".out"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def maillog(self):
        with open(self._path("maillog"), "rb") as f:
            return f.read().decode("utf-8", "replace")

    def dovecot_log(self):
        try:
            with open(self._path("dovecot.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def maildir_files(self, box):
        """Paths of the messages delivered to box (new/ and cur/)."""
        out = []
        for sub in ("new", "cur"):
            d = self._path("mail", box, sub)
            if os.path.isdir(d):
                out += [os.path.join(d, n) for n in sorted(os.listdir(d))]
        return out

    def clear_mail(self):
        for box in MAILBOXES:
            shutil.rmtree(self._path("mail", box), ignore_errors=True)

    def queue_empty(self):
        """True when Postfix holds no message (all delivered or bounced)."""
        for q in ("incoming", "active", "deferred", "hold", "maildrop"):
            for _, _, files in os.walk(self._path("spool", q)):
                if files:
                    return False
        return True
