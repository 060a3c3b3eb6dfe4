"""Running $STAMP, writing its configuration, building messages."""
import os
import socket
import subprocess

from . import syslog as _syslog

USER = "joe"
PASSWORD = "s3cret-Pa55w0rd"       # distinctive: searched for in outputs
FROM = "joe@example.org"
DOMAIN = "client.example"


def stamp_path():
    p = os.environ.get("STAMP")
    if not p:
        raise RuntimeError("set STAMP=/abs/path/to/build/stamp")
    return os.path.abspath(p)


def free_port():
    """A 127.0.0.1 TCP port that nothing listens on (bound, then closed)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def base_env(home=None, **extra):
    """A small, predictable environment: no D-Bus session, no DISPLAY, no
    XDG_RUNTIME_DIR, so nothing reaches the developer's real keyring."""
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
           "TZ": "UTC"}
    if home:
        env["HOME"] = home
        env["XDG_CONFIG_HOME"] = os.path.join(home, ".config")
    env.update({k: v for k, v in extra.items() if v is not None})
    return env


def stamp_cmd(args, config_path=None, stamp=None):
    cmd = [stamp or stamp_path()]
    if config_path:
        cmd += ["-C", str(config_path)]
    return cmd + [str(a) for a in args]


def run_stamp(args, input_bytes=b"", config_path=None, env=None, timeout=30,
              stdin=None, stamp=None):
    """Run stamp [-C config_path] args...; stdin gets input_bytes (or the
    open file stdin).  Returns a CompletedProcess (bytes)."""
    if env is None:
        env = base_env()
    kw = {"stdin": stdin} if stdin is not None else {"input": input_bytes}
    return subprocess.run(stamp_cmd(args, config_path, stamp), env=env,
                          capture_output=True, timeout=timeout, **kw)


def run_stamp_syslog(args, input_bytes=b"", config_path=None, env=None,
                     timeout=30, stamp=None):
    """Like run_stamp, inside a mount namespace whose /dev/log we read.
    Returns SyslogRun(returncode, stdout, stderr, syslog) with .pid."""
    if env is None:
        env = base_env()
    return _syslog.run_with_syslog(stamp_cmd(args, config_path, stamp),
                                   input_bytes, env=env, timeout=timeout)


def write_config(path, sections, mode=0o600):
    """Write an INI file from {"section": {"key": value}}, in order; values
    of None are left out.  Returns (path, {(section, key): line number})."""
    lines = []
    where = {}
    for name, keys in sections.items():
        if lines:
            lines.append("")
        lines.append("[%s]" % name)
        for k, v in keys.items():
            if v is None:
                continue
            lines.append("%s = %s" % (k, v))
            where[(name, k)] = len(lines)
    path = str(path)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(path, mode)
    return path, where


def account(server=None, certs=None, **over):
    """The standard [test] account for a running SMTPServer; keyword
    arguments override keys (None removes one, e.g. password=None)."""
    acct = {
        "host": "localhost",
        "port": server.port if server else 465,
        "tls": ("starttls" if server is not None and server.mode != "smtps"
                else "smtps"),
        "user": USER,
        "from": FROM,
        "auth": "auto",
        "tls_trust_file": certs.ca_pem if certs else None,
        "timeout": 10,
        "domain": DOMAIN,
        "password": PASSWORD,
    }
    for k, v in over.items():
        acct[k.rstrip("_")] = v        # from_= for the "from" key
    return {"defaults": {"default_account": "test"}, "test": acct}


def crlf(b):
    """What the server must receive for input b: every line ending CRLF,
    a final line ending added if missing."""
    b = b.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    if b and not b.endswith(b"\r\n"):
        b += b"\r\n"
    return b
