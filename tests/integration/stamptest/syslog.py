"""Capture what a process sends to syslog.

glibc's syslog() writes datagrams to /dev/log.  run_with_syslog() runs the
command in a private mount namespace (unshare --mount; needs root) whose /dev
is a small tmpfs holding bind mounts of the usual device nodes, the fd/std*
symlinks, and "log" -> a datagram socket this process has bound.  The host's
/dev is never touched, whether or not it has a /dev/log.  The command is
exec'd by the namespace's shell, so its PID is the Popen PID.
"""
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections import namedtuple

LOG_MAIL = 2

# $1: mount point for the new /dev, $2: our socket, then the command.
_NS_SCRIPT = r'''
set -e
d=$1; sock=$2; shift 2
mount -t tmpfs -o mode=0755,size=256k stamptest-dev "$d"
for n in null zero full random urandom tty; do
    if [ -e "/dev/$n" ]; then : > "$d/$n"; mount --bind "/dev/$n" "$d/$n"; fi
done
for n in pts shm mqueue; do
    if [ -d "/dev/$n" ]; then mkdir "$d/$n"; mount --rbind "/dev/$n" "$d/$n"; fi
done
ln -s /proc/self/fd "$d/fd"
ln -s /proc/self/fd/0 "$d/stdin"
ln -s /proc/self/fd/1 "$d/stdout"
ln -s /proc/self/fd/2 "$d/stderr"
ln -s "$sock" "$d/log"
mount --move "$d" /dev
exec "$@"
'''


class SyslogRun(namedtuple("SyslogRun", "returncode stdout stderr syslog")):
    """(returncode, stdout, stderr, [datagrams as str]); .pid as well."""


def run_with_syslog(cmd, input_bytes=b"", env=None, timeout=30):
    tmp = tempfile.mkdtemp(prefix="stl")     # short: sun_path is 108 bytes
    sock_path = os.path.join(tmp, "log")
    mnt = os.path.join(tmp, "dev")
    os.mkdir(mnt)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(sock_path)
        os.chmod(sock_path, 0o666)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        argv = (["unshare", "--mount", "--propagation", "private",
                 "/bin/sh", "-c", _NS_SCRIPT, "sh", mnt, sock_path]
                + list(cmd))
        p = subprocess.Popen(argv, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=env)
        try:
            out, err = p.communicate(input_bytes, timeout=timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.communicate()
            raise
        sock.setblocking(False)
        grams = []
        while True:
            try:
                grams.append(sock.recv(65536).decode("utf-8", "replace"))
            except BlockingIOError:
                break
        r = SyslogRun(p.returncode, out, err, grams)
        r.pid = p.pid
        return r
    finally:
        sock.close()
        shutil.rmtree(tmp, ignore_errors=True)


def syslog_available():
    """(True, "") if run_with_syslog works here, else (False, why)."""
    if not shutil.which("unshare"):
        return False, "no unshare"
    try:
        r = run_with_syslog(["logger", "-t", "probe", "hello"], timeout=10)
    except Exception as e:               # pragma: no cover
        return False, repr(e)
    if r.returncode != 0 or not any("probe" in g for g in r.syslog):
        return False, "rc=%s stderr=%r" % (r.returncode, r.stderr)
    return True, ""


_HDR = re.compile(r"^<(\d{1,3})>([A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d) "
                  r"([^\[: ]+)(?:\[(\d+)\])?: (.*?)\n?\Z", re.S)


def parse_datagram(g):
    """"<PRI>Mmm dd hh:mm:ss ident[pid]: msg" -> dict(facility, severity,
    time, ident, pid, msg); None if it does not look like that."""
    m = _HDR.match(g)
    if not m:
        return None
    pri = int(m.group(1))
    return {"facility": pri >> 3, "severity": pri & 7, "time": m.group(2),
            "ident": m.group(3),
            "pid": int(m.group(4)) if m.group(4) else None,
            "msg": m.group(5)}


_KV = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=('((?:[^']|'(?! |$))*)'|\S*)"
                 r"(?= |$)")


def parse_log_line(line):
    """DESIGN.md section 6: "key=value key='quoted value' ..." -> dict.
    Raises ValueError on anything that does not parse, or a repeated key."""
    out = {}
    pos = 0
    line = line.rstrip("\n")
    while pos < len(line):
        if line[pos] == " ":
            pos += 1
            continue
        m = _KV.match(line, pos)
        if not m:
            raise ValueError("cannot parse log line at %d: %r" % (pos, line))
        key = m.group(1)
        val = m.group(3) if m.group(3) is not None else m.group(2)
        if key in out:
            raise ValueError("key %r repeated in %r" % (key, line))
        out[key] = val
        pos = m.end()
    return out
