"""A throwaway Secret Service (LIBSECRET.md section 3): a private session
dbus-daemon (our child) and gnome-keyring-daemon with a fresh "login" keyring, unlocked,
in a private HOME.  Nothing touches the real user's keyring or runtime dir.

    kr = Keyring(tmpdir).start()
    kr.store("localhost", "joe", "secret")
    subprocess.run([...], env={**base_env, **kr.env})
    kr.stop()
"""
import os
import selectors
import subprocess
import time

UNLOCK_PASSWORD = "keyring-unlock-pw"


class Keyring:
    def __init__(self, basedir, unlock_password=UNLOCK_PASSWORD):
        self.basedir = os.path.abspath(basedir)
        self.home = os.path.join(self.basedir, "home")
        self.unlock_password = unlock_password
        self.bus_address = None
        self.bus = None
        self.daemon = None

    @property
    def env(self):
        """What a process needs to reach this Secret Service."""
        return {"DBUS_SESSION_BUS_ADDRESS": self.bus_address,
                "HOME": self.home}

    def _env(self):
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
               "LANG": "C.UTF-8", "HOME": self.home}
        if self.bus_address:
            env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address
        return env       # no DISPLAY, no XDG_RUNTIME_DIR

    def start(self, timeout=15):
        os.makedirs(self.home, mode=0o700, exist_ok=True)
        try:
            # --nofork rather than LIBSECRET.md's --fork: the bus stays our
            # child, so stop() can reap it (no orphan left to init).
            self.bus = subprocess.Popen(
                ["dbus-daemon", "--session", "--nofork", "--nosyslog",
                 "--print-address=1"],
                env=self._env(), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
            sel = selectors.DefaultSelector()
            sel.register(self.bus.stdout, selectors.EVENT_READ)
            if not sel.select(timeout):
                raise RuntimeError("dbus-daemon printed no address")
            sel.close()
            self.bus_address = self.bus.stdout.readline().decode().strip()
            if not self.bus_address:
                raise RuntimeError("dbus-daemon printed no address")
            log = open(os.path.join(self.basedir, "gnome-keyring.log"), "wb")
            self.daemon = subprocess.Popen(
                ["gnome-keyring-daemon", "--foreground", "--unlock",
                 "--components=secrets"],
                env=self._env(), stdin=subprocess.PIPE, stdout=log,
                stderr=subprocess.STDOUT, cwd=self.home)
            log.close()
            self.daemon.stdin.write(self.unlock_password.encode())
            self.daemon.stdin.close()
            self._wait_for_name(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_for_name(self, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.daemon.poll() is not None:
                raise RuntimeError("gnome-keyring-daemon exited with %s"
                                   % self.daemon.returncode)
            r = subprocess.run(
                ["dbus-send", "--session", "--print-reply",
                 "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                 "org.freedesktop.DBus.NameHasOwner",
                 "string:org.freedesktop.secrets"],
                env=self._env(), capture_output=True, timeout=5)
            if b"boolean true" in r.stdout:
                return
            time.sleep(0.05)
        raise RuntimeError("org.freedesktop.secrets did not appear")

    def store(self, host, user, password, label="stamp"):
        """Store password (bytes or str, taken byte for byte: no newline)
        with msmtp's attributes host / service=smtp / user."""
        if isinstance(password, str):
            password = password.encode()
        subprocess.run(
            ["secret-tool", "store", "--label=" + label,
             "host", host, "service", "smtp", "user", user],
            input=password, env=self._env(), capture_output=True,
            timeout=10, check=True)

    def lookup(self, host, user):
        """The stored password as bytes, or None."""
        r = subprocess.run(
            ["secret-tool", "lookup", "host", host, "service", "smtp",
             "user", user],
            env=self._env(), capture_output=True, timeout=10)
        return r.stdout if r.returncode == 0 else None

    def clear(self, host, user):
        subprocess.run(
            ["secret-tool", "clear", "host", host, "service", "smtp",
             "user", user],
            env=self._env(), capture_output=True, timeout=10)

    def items(self, host, user):
        """`secret-tool search --all` for host/service=smtp/user: a list of
        {"label": ..., "secret": ..., "attribute.user": ..., ...} (secret-tool
        0.20.5 leaves out the xdg:schema attribute)."""
        r = subprocess.run(
            ["secret-tool", "search", "--all", "host", host,
             "service", "smtp", "user", user],
            env=self._env(), capture_output=True, timeout=10)
        items = []
        for line in (r.stdout + r.stderr).decode("utf-8", "replace") \
                .splitlines():
            if line.startswith("[/"):
                items.append({})
            elif " = " in line and items:
                k, v = line.split(" = ", 1)
                items[-1][k.strip()] = v
        return items

    def lock(self):
        """Lock the "login" collection (LIBSECRET.md section 4: dbus-send,
        since `secret-tool lock` crashes in libsecret 0.20.5)."""
        subprocess.run(
            ["dbus-send", "--session", "--print-reply",
             "--dest=org.freedesktop.secrets", "/org/freedesktop/secrets",
             "org.freedesktop.Secret.Service.Lock",
             "array:objpath:/org/freedesktop/secrets/collection/login"],
            env=self._env(), capture_output=True, timeout=10, check=True)

    def stop(self):
        if self.daemon is not None:
            if self.daemon.poll() is None:
                self.daemon.terminate()
                try:
                    self.daemon.wait(5)
                except subprocess.TimeoutExpired:
                    self.daemon.kill()
                    self.daemon.wait(5)
            self.daemon = None
        if self.bus is not None:
            if self.bus.poll() is None:
                self.bus.terminate()
                try:
                    self.bus.wait(5)
                except subprocess.TimeoutExpired:
                    self.bus.kill()
                    self.bus.wait(5)
            self.bus.stdout.close()
            self.bus = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


BARE_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC
 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class BareBus:
    """A session bus with nothing on it and no service directories, so
    nothing can be activated either (LIBSECRET.md section 4, "bus but no
    Secret Service").  .address; use as a context manager."""

    def __init__(self, basedir):
        self.basedir = os.path.abspath(basedir)
        self.proc = None
        self.address = None

    def start(self, timeout=15):
        os.makedirs(self.basedir, exist_ok=True)
        conf = os.path.join(self.basedir, "bare-bus.conf")
        with open(conf, "w") as f:
            f.write(BARE_BUS_CONFIG % self.basedir)
        self.proc = subprocess.Popen(
            ["dbus-daemon", "--config-file=" + conf, "--nofork",
             "--nosyslog", "--print-address=1"],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        ready = sel.select(timeout)
        sel.close()
        self.address = (self.proc.stdout.readline().decode().strip()
                        if ready else "")
        if not self.address:
            self.stop()
            raise RuntimeError("dbus-daemon printed no address")
        return self

    def stop(self):
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.terminate()
                self.proc.wait(5)
            self.proc.stdout.close()
            self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
