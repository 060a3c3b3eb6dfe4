"""Timeouts (DESIGN.md 4): every wait for the server is bounded.

  - a server that stops answering at any stage costs about `timeout`
    seconds (each reply has that long, however it trickles in): exit 75;
  - connecting costs at most min(timeout, 30 s) over all the addresses of
    the host together, and a dead first address leaves time for the
    next.  Those cases run stamp in a network namespace of their own
    (unshare --net --mount) where 192.0.2.2-4 swallow every SYN (a veth
    whose far end drops the frames), with a private /etc/hosts naming
    them, so no packet ever leaves the machine.

timeout = 1 (the minimum) in the hang cases keeps the suite fast."""
import functools
import subprocess
import time

import pytest

from stamptest import faulty as F
from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, error_line, show, words_in
from stamptest.netns import skip_without_netns

BIG = SIMPLE + (b"y" * 99 + b"\n") * 80000          # 8 MB


@pytest.fixture
def faulty(make_faulty):
    """faulty(mode, script, **kw) -> (a started Faulty, its config with
    timeout = 1 unless told)."""
    return functools.partial(make_faulty, timeout=1)


def timed(run, cfg, msg=SIMPLE, rcpts=("a@x.org",)):
    t0 = time.monotonic()
    r = run(list(rcpts), msg, cfg, timeout=15)
    return r, time.monotonic() - t0


# -- the server stops answering ---------------------------------------------

HANGS = [
    ("smtps", "greeting", "greeting"),
    ("starttls", "greeting", "greeting"),
    ("starttls", "ehlo", "EHLO"),
    ("starttls", "starttls", "STARTTLS"),
    ("starttls", "ehlo2", "EHLO"),
    ("smtps", "auth", "AUTH"),
    ("smtps", "mail", "MAIL"),
    ("smtps", "rcpt", "RCPT"),
    ("smtps", "data", "DATA"),
    ("smtps", "dot", "end of data"),
]


@pytest.mark.parametrize("mode,stage,word", HANGS,
                         ids=["%s-%s" % (m, s) for m, s, _ in HANGS])
def test_hang(faulty, run, mode, stage, word):
    """timeout = 1: about one second, 75, the stage named, no delivery."""
    srv, cfg = faulty(mode, {stage: F.HANG})
    r, took = timed(run, cfg)
    assert_exit(r, 75)
    words_in(error_line(r), word, "timed out")
    assert 0.9 <= took < 3, "took %.2fs with timeout = 1" % took
    srv.settle()
    assert srv.delivered == []
    if stage != "dot":
        assert not srv.dot_sent()


def test_hang_while_reading_the_data(faulty, run):
    """The server stops reading in the middle of an 8 MB message: the
    writes time out (75, "sending"), they do not block for ever, and the
    message is not delivered."""
    srv, cfg = faulty("smtps", {"body": F.HANG})
    r, took = timed(run, cfg, BIG)
    assert_exit(r, 75)
    words_in(error_line(r), "sending", "timed out")
    assert took < 4, "took %.2fs with timeout = 1" % took
    srv.settle(10)
    assert srv.delivered == []
    assert not srv.dot_sent()


def test_tls_handshake_hang(silent_port, certs, write_config, run):
    """SMTPS to a server that accepts TCP and never answers the
    ClientHello: the handshake has `timeout` too."""
    cfg = write_config(R.account(None, certs, port=silent_port, timeout=1))
    t0 = time.monotonic()
    r = run(["a@x.org"], SIMPLE, cfg, timeout=15)
    took = time.monotonic() - t0
    assert_exit(r, 75)
    words_in(error_line(r), "TLS", "timed out")
    assert took < 3, show(r)


@pytest.mark.parametrize("stage", ["greeting", "dot"])
def test_trickled_reply_has_one_deadline(faulty, run, stage):
    """A reply that arrives a byte every 0.1 s never stalls a read for a
    whole second, but the reply as a whole must arrive within `timeout`:
    stamp gives up after about one second, not after minutes."""
    code = b"%d" % F.NORMAL_CODE[stage]
    srv, cfg = faulty("smtps", {stage: F.Trickle(
        (code + b"-still coming\r\n") * 60 + code + b" done\r\n", 0.1)})
    r, took = timed(run, cfg)
    assert_exit(r, 75)
    words_in(error_line(r), "timed out")
    assert took < 3, "took %.2fs with timeout = 1" % took
    srv.settle()
    assert srv.delivered == []


# -- connecting: one budget for all the addresses ---------------------------

NETNS = r'''
set -e
ip link set lo up
ip link add d0 type veth peer name d1
ip addr add 192.0.2.1/24 dev d0
ip link set d0 up
ip link set d1 up
for i in 2 3 4; do
    ip neigh replace 192.0.2.$i lladdr 02:00:00:00:00:0$i dev d0 nud permanent
done
mount --bind "$1" /etc/hosts
mount --bind "$2" /etc/gai.conf
shift 2
if [ "$1" = --listen ]; then
    /usr/bin/python3 -c "$LISTENER" &
    pid=$!
    while [ ! -e "$READY" ]; do sleep 0.02; done
    shift
fi
set +e
"$@"
rc=$?
[ -z "${pid:-}" ] || kill "$pid" 2>/dev/null
exit $rc
'''

# Answers on 192.0.2.1:587 (inside the namespace) with a 554 greeting: the
# proof that stamp got that far.
LISTENER = r'''
import os, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("192.0.2.1", 587))
s.listen(4)
open(os.environ["READY"], "w").close()
c, _ = s.accept()
c.sendall(b"554 5.3.2 netns test server\r\n")
c.recv(100)
'''

# RFC 6724 sorting would put the local 192.0.2.1 first; give it the lowest
# precedence so that the dead addresses come first, as in /etc/hosts.
GAI = """precedence ::1/128 50
precedence ::/0 40
precedence 2002::/16 30
precedence ::/96 20
precedence ::ffff:0:0/96 10
precedence ::ffff:192.0.2.1/128 5
"""


@pytest.fixture(scope="module")
def netns():
    skip_without_netns("ip link add d0 type veth peer name d1")


@pytest.fixture
def run_netns(netns, stamp, env, tmp_path, write_config):
    """run_netns(host, {name: [addresses]}, listen=False) -> (result,
    seconds): stamp -C cfg a@x.org inside the namespace, account host
    `host`, port 587, STARTTLS, timeout = 2."""
    def go(host, names=None, listen=False, timeout=2):
        hosts = tmp_path / "hosts"
        hosts.write_text("127.0.0.1 localhost\n" + "".join(
            "%s %s\n" % (a, n) for n, addrs in (names or {}).items()
            for a in addrs))
        gai = tmp_path / "gai.conf"
        gai.write_text(GAI)
        cfg = write_config(R.account(None, None, host=host, port=587,
                                     tls="starttls", timeout=timeout))
        e = dict(env, LISTENER=LISTENER, READY=str(tmp_path / "ready"))
        argv = (["unshare", "--net", "--mount", "--propagation", "private",
                 "sh", "-c", NETNS, "sh", str(hosts), str(gai)]
                + (["--listen"] if listen else [])
                + R.stamp_cmd(["a@x.org"], cfg, stamp))
        t0 = time.monotonic()
        r = subprocess.run(argv, input=SIMPLE, capture_output=True, env=e,
                           timeout=30)
        return r, time.monotonic() - t0
    return go


def test_connect_timeout(run_netns):
    """An address that swallows SYNs costs the connect budget (timeout =
    2 -> about 2 s), then 75."""
    r, took = run_netns("192.0.2.2")
    assert_exit(r, 75)
    words_in(error_line(r), "connect", "192.0.2.2", "timed out")
    assert 1.8 <= took < 4, "took %.2fs" % took


def test_connect_budget_is_shared_by_all_addresses(run_netns):
    """Three such addresses behind one name still cost about 2 s in all,
    not 2 s each."""
    r, took = run_netns("dead.test", {"dead.test": ["192.0.2.2", "192.0.2.3",
                                                    "192.0.2.4"]})
    assert_exit(r, 75)
    words_in(error_line(r), "connect", "dead.test", "timed out")
    assert 1.8 <= took < 4, "took %.2fs" % took


def test_dead_first_address_leaves_time_for_the_next(run_netns):
    """Two dead addresses, then a live one: stamp reaches the live one
    within the budget (its 554 greeting -> 69), rather than spending the
    whole budget on the first."""
    r, took = run_netns("mixed.test", {"mixed.test": [
        "192.0.2.2", "192.0.2.3", "192.0.2.1"]}, listen=True)
    assert_exit(r, 69)
    words_in(error_line(r), "greeting", "554")
    assert took < 4, "took %.2fs" % took
