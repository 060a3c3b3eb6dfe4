"""Name resolution is bounded by the connect budget (conn.h): a resolver
that never answers costs `timeout` seconds, then 75 with a message that
says so; a name that does not exist (NXDOMAIN) is 68, as before.

Each case runs stamp in a network and mount namespace of its own
(unshare --net --mount) with a private /etc/resolv.conf naming
127.0.0.1:53 inside it, where a Python DNS server either never answers
or answers NXDOMAIN, and a private /etc/hosts without the name: no packet
leaves the machine."""
import subprocess
import time

import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, error_line, show, words_in
from stamptest.netns import skip_without_netns

NETNS = r'''
set -e
ip link set lo up
mount --bind "$1" /etc/resolv.conf
mount --bind "$2" /etc/hosts
shift 2
/usr/bin/python3 -c "$DNS" &
pid=$!
while [ ! -e "$READY" ]; do sleep 0.02; done
set +e
timeout -s KILL 25 "$@"
rc=$?
kill "$pid" 2>/dev/null
exit $rc
'''

# A DNS server on 127.0.0.1:53 (UDP and TCP): MODE=silent reads queries
# and never answers; MODE=nxdomain answers every query "no such name".
DNS = r'''
import os, signal, socket, threading
signal.alarm(40)                        # never outlives a failed test
mode = os.environ["MODE"]
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.1", 53))
t = socket.socket()
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.1", 53))
t.listen(8)
def tcp():
    held = []
    while True:
        c, _ = t.accept()
        held.append(c)                  # never answered, never closed
threading.Thread(target=tcp, daemon=True).start()
open(os.environ["READY"], "w").close()
while True:
    q, peer = u.recvfrom(4096)
    with open(os.environ["QUERIES"], "a") as f:
        f.write("q\n")
    if mode == "silent" or len(q) < 12:
        continue
    end = 12
    while q[end] != 0:
        end += q[end] + 1
    end += 5                            # the root label, QTYPE, QCLASS
    flags = 0x8000 | (q[2] & 0x01) << 8 | 0x0080 | 3    # QR RD RA NXDOMAIN
    u.sendto(q[:2] + flags.to_bytes(2, "big") + b"\0\1\0\0\0\0\0\0"
             + q[12:end], peer)
'''

# The resolver would wait 20 s per try, 3 tries, for each address family:
# minutes, unless stamp bounds the lookup.
RESOLV = "nameserver 127.0.0.1\noptions timeout:20 attempts:3\n"


@pytest.fixture(scope="module")
def netns():
    skip_without_netns("ip link set lo up && mount --bind /etc/hostname "
                       "/etc/hostname")


@pytest.fixture
def run_dns(netns, stamp, env, tmp_path, write_config):
    """run_dns(mode, host, **keys) -> (result, seconds, queries): stamp
    to host:587 inside the namespace, its DNS server in mode."""
    def go(mode, host, args=("a@x.org",), **keys):
        resolv = tmp_path / "resolv.conf"
        resolv.write_text(RESOLV)
        hosts = tmp_path / "hosts"
        hosts.write_text("127.0.0.1 localhost\n")
        queries = tmp_path / "queries"
        queries.write_text("")
        keys.setdefault("timeout", 2)
        cfg = write_config(R.account(None, None, host=host, port=587,
                                     tls="starttls", **keys))
        e = dict(env, DNS=DNS, MODE=mode, READY=str(tmp_path / "ready"),
                 QUERIES=str(queries))
        argv = (["unshare", "--net", "--mount", "--propagation", "private",
                 "sh", "-c", NETNS, "sh", str(resolv), str(hosts)]
                + R.stamp_cmd(list(args), cfg, stamp))
        t0 = time.monotonic()
        r = subprocess.run(argv, input=SIMPLE, capture_output=True, env=e,
                           timeout=30)
        return r, time.monotonic() - t0, len(queries.read_text().split())
    return go


def test_silent_resolver_costs_the_connect_budget(run_dns):
    """The resolver never answers: about `timeout` (2 s), then 75 naming
    the lookup, not a hang."""
    r, took, queries = run_dns("silent", "mail.nowhere.test")
    assert_exit(r, 75)
    words_in(error_line(r), "mail.nowhere.test", "name lookup", "timed out")
    assert queries >= 1, "the resolver was never asked" + show(r)
    assert 1.8 <= took < 5, "took %.2fs" % took


def test_silent_resolver_with_queue_queues(run_dns, tmp_path):
    """With the queue on, the lookup's timeout is a temporary failure like
    any other: queued, exit 0."""
    q = tmp_path / "queue"
    r, took, _ = run_dns("silent", "mail.nowhere.test", queue="yes",
                         queue_dir=str(q))
    assert_exit(r, 0)
    assert len([f for f in q.iterdir() if f.is_file()]) == 1, show(r)
    assert took < 5, "took %.2fs" % took


def test_nxdomain_is_nohost(run_dns):
    """A name that does not exist: 68 at once, as before."""
    r, took, queries = run_dns("nxdomain", "mail.nowhere.test")
    assert_exit(r, 68)
    words_in(error_line(r), "mail.nowhere.test", "host not found")
    assert queries >= 1, show(r)
    assert took < 1.5, "took %.2fs" % took
