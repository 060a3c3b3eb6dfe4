"""The documentation is kept in sync with the program.

The lists come from the C source (src/cfgkeys.c's key table and value
lists, src/cli.c's flag strings, -b modes and long options, every EX_*
status that src/*.c returns) and from the binary (--help, and the example
configuration loaded by --doctor), so adding a key, a flag or an exit
status without documenting it fails here.  Also: every INI example in the
man pages and README loads, and the first error messages a beginner meets
say what to do."""
import os
import re
import subprocess

import pytest

from stamptest import run as R
from stamptest.checks import assert_exit, error_line, words_in

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def source(rel):
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return f.read()


def c_code(rel):
    """The file without its comments (a flag named in a comment is not
    a flag)."""
    return re.sub(r"/\*.*?\*/", " ", source(rel), flags=re.S)


# --- what the source says exists -------------------------------------

def config_keys():
    keys = re.findall(r'\[K_\w+\]\s*=\s*\{\s*"([a-z0-9_]+)"',
                      c_code("src/cfgkeys.c"))
    assert len(keys) >= 30, keys        # the table's shape changed?
    return keys


def key_values():
    """{key: [value, ...]} for every key checked against a fixed list."""
    code = c_code("src/cfgkeys.c")
    check_of = dict((k, fn) for k, fn in re.findall(
        r'\[K_\w+\]\s*=\s*\{\s*"([a-z0-9_]+)",\s*(check_\w+)\s*\}', code))
    out = {}
    for fn, body in re.findall(
            r"\nstatic char \*\n(check_\w+)\([^)]*\)\n\{(.*?)\n\}", code,
            flags=re.S):
        m = re.search(r"const c\[\] = \{(.*?)\};", body, flags=re.S)
        if m is None:
            continue
        vals = re.findall(r'"([^"]+)"', m.group(1))
        for k, f in check_of.items():
            if f == fn:
                out[k] = vals
    assert {"tls", "auth", "queue", "long_lines"} <= set(out), out
    return out


def single_flags():
    """Every one-letter flag cli.c accepts: those with an argument, the
    ignored ones, -t, -v, -o, -b and -q."""
    code = c_code("src/cli.c")
    with_arg = re.search(r'with_arg\[\] = "(\w+)"', code).group(1)
    ignored = re.search(r'ignored\[\] = "(\w+)"', code).group(1)
    named = re.findall(r"f == '(\w)'", code)
    flags = set(with_arg) | set(ignored) | set(named)
    assert {"t", "v", "o", "b", "q", "f", "a"} <= flags, flags
    return sorted(flags)


def b_modes():
    """The -b modes stamp implements (not the ones it refuses)."""
    modes = re.findall(r'\{\s*"(\w)",\s*CLI_\w+,\s*NULL\s*\}',
                       c_code("src/cli.c"))
    assert {"m", "s", "p", "i"} <= set(modes), modes
    return modes


def long_options():
    opts = re.findall(r'\{\s*"(--[a-z0-9-]+)",\s*CLI_\w+',
                      c_code("src/cli.c"))
    assert "--doctor" in opts and "--password" in opts, opts
    return opts


def sysexits():
    out = {}
    with open("/usr/include/sysexits.h") as f:
        for name, num in re.findall(r"#define\s+(EX_\w+)\s+(\d+)", f.read()):
            out[name] = int(num)
    return out


def exit_statuses():
    """{number: name} of every status some src/*.c other than the name
    table in result.c can return."""
    names = set()
    for fn in os.listdir(os.path.join(ROOT, "src")):
        if not fn.endswith(".c") or fn == "result.c":
            continue
        names |= set(re.findall(r"\b(EX_[A-Z_]+)\b", c_code("src/" + fn)))
    names |= set(re.findall(r"ex = (EX_[A-Z_]+)", c_code("src/result.c")))
    table = sysexits()
    out = dict((table[n], n) for n in names if n in table)
    assert {0, 64, 75, 78} <= set(out), out
    return out


# --- what the documents say ------------------------------------------

def render(page):
    r = subprocess.run(["mandoc", "-T", "ascii", os.path.join(ROOT, page)],
                       stdout=subprocess.PIPE, check=True)
    return re.sub(r".\x08", "", r.stdout.decode())


def section(text, title):
    m = re.search(r"^%s\n(.*?)(?=^[A-Z][A-Z ]+\n)" % re.escape(title), text,
                  flags=re.S | re.M)
    assert m is not None, "no %s section" % title
    return m.group(1)


def listed_items(page):
    """The words that start an .It line of an mdoc page, e.g.
    {"Fl a", "Ic host", ...}: what the page documents as an entry."""
    items = set()
    for line in source(page).splitlines():
        if line.startswith(".It "):
            words = line.split()
            for i, w in enumerate(words[:-1]):
                if w in ("Fl", "Ic", "Cm"):
                    items.add(w + " " + words[i + 1])
    return items


def help_text(stamp):
    r = subprocess.run([stamp, "--help"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=10)
    assert_exit(r, 0)
    return r.stdout.decode()


def has_flag(text, flag):
    """flag ("-a", "-bs", "--doctor") as a word of text: not part of a
    longer option."""
    return re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(flag),
                     text) is not None


# --- the tests --------------------------------------------------------

@pytest.mark.parametrize("key", config_keys())
def test_key_in_man(key):
    assert "Ic " + key in listed_items("man/stamp.ini.5"), \
        "stamp.ini.5 has no .It Ic %s entry" % key


@pytest.mark.parametrize("key", config_keys())
def test_key_in_example_config(key):
    ini = source("etc/stamp.ini")
    assert re.search(r"^;?%s = " % re.escape(key), ini, flags=re.M), \
        "etc/stamp.ini has no (commented) line for %s" % key


@pytest.mark.parametrize("key", config_keys())
def test_key_default_in_example_config(key):
    """Each key's comment block in etc/stamp.ini says its default."""
    ini = source("etc/stamp.ini")
    blocks = re.split(r"\n\s*\n", ini)
    for b in blocks:
        if re.search(r"^;?%s = " % re.escape(key), b, flags=re.M):
            assert "Default" in b, "no default said for %s:\n%s" % (key, b)
            return
    pytest.fail("no block for %s" % key)


def test_key_values_in_man():
    man = render("man/stamp.ini.5")
    for key, vals in key_values().items():
        for v in vals:
            assert re.search(r"(?<![\w-])%s(?![\w-])" % re.escape(v), man,
                             flags=re.I), "%s = %s not in stamp.ini.5" % (
                                 key, v)


@pytest.mark.parametrize("flag", single_flags())
def test_flag_in_man(flag):
    text = source("man/stamp.1")
    if flag in ("b", "o", "q"):     # always glued: -bs, -oi, -q30m
        pat = r"\bFl %s\w*\b" % flag
    else:
        pat = r"\bFl %s\b" % flag
    assert re.search(pat, text), "stamp.1 never names -%s" % flag


@pytest.mark.parametrize("flag", single_flags())
def test_flag_in_help(stamp, flag):
    text = help_text(stamp)
    if flag in ("b", "o", "q"):
        ok = re.search(r"(?<![\w-])-%s\w*" % flag, text)
    else:
        ok = has_flag(text, "-" + flag)
    assert ok, "stamp --help never names -%s" % flag


@pytest.mark.parametrize("mode", b_modes())
def test_b_mode_documented(stamp, mode):
    if mode == "m":                 # the default: "-bm" is a no-op
        assert has_flag(render("man/stamp.1"), "-bm")
        return
    assert "Fl b" + mode in listed_items("man/stamp.1")
    assert has_flag(help_text(stamp), "-b" + mode)


@pytest.mark.parametrize("opt", long_options())
def test_long_option_documented(stamp, opt):
    assert "Fl " + opt[1:] in listed_items("man/stamp.1"), \
        "stamp.1 has no .It Fl %s entry" % opt[1:]
    assert has_flag(help_text(stamp), opt), "--help lacks %s" % opt


@pytest.mark.parametrize("status", sorted(exit_statuses()))
def test_exit_status_documented(status):
    text = section(render("man/stamp.1"), "EXIT STATUS")
    name = exit_statuses()[status]
    assert re.search(r"(?<![\d.])%d(?![\d.])" % status, text), \
        "EXIT STATUS does not list %d (%s)" % (status, name)
    if status != 0:
        assert name in text, "EXIT STATUS does not name %s" % name


def test_man_lint():
    r = subprocess.run(["mandoc", "-Tlint", "-W", "warning",
                        os.path.join(ROOT, "man/stamp.1"),
                        os.path.join(ROOT, "man/stamp.ini.5")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert r.returncode == 0, r.stdout.decode()


def uncommented_example(tmp_path, port):
    """etc/stamp.ini with every example line switched on, as a user who
    uncomments them would; the server is a closed port on loopback, and
    only one of password and password_command is kept (both is an
    error, as the file says)."""
    out = []
    for line in source("etc/stamp.ini").splitlines():
        m = re.match(r"^;?([a-z0-9_]+) = (.*)$", line)
        if m is None:
            out.append(line)
            continue
        k, v = m.groups()
        if k == "password":
            continue
        if k == "auth":
            v = "oauthbearer"       # what oauth2_provider needs
        elif k == "host":
            v = "127.0.0.1"
        elif k == "port":
            v = str(port)
        elif k in ("tls_trust_file", "tls_cert_file", "tls_key_file"):
            continue
        elif k == "tls_fingerprint":
            continue                # a pin and a trust file: one is enough
        out.append("%s = %s" % (k, v))
    p = tmp_path / "stamp.ini"
    p.write_text("\n".join(out) + "\n")
    os.chmod(p, 0o600)
    return str(p)


def closed_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def test_example_config_loads(stamp, env):
    """The shipped file as it is: --doctor reads it and gets past the
    config check (the host does not resolve: no traffic leaves)."""
    cfg = source("etc/stamp.ini")
    assert re.search(r"^host = ", cfg, flags=re.M)
    # Point the shipped file at loopback so no DNS query leaves the box.
    lines = ["host = 127.0.0.1" if l.startswith("host = ") else l
             for l in cfg.splitlines()]
    lines.append("port = %d" % closed_port())
    path = os.path.join(env["HOME"], "stamp.ini")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    r = R.run_stamp(["--doctor"], b"", path, env, stamp=stamp, timeout=30)
    out = r.stdout.decode()
    assert re.search(r"^OK +config: ", out, flags=re.M), (out, r.stderr)
    assert r.returncode == 75, (r.returncode, out)   # connection refused


def test_example_config_every_key_loads(stamp, env, tmp_path):
    """Every example value in etc/stamp.ini is one stamp accepts."""
    path = uncommented_example(tmp_path, closed_port())
    r = R.run_stamp(["--doctor"], b"", path, env, stamp=stamp, timeout=30)
    out = r.stdout.decode()
    assert re.search(r"^OK +config: ", out, flags=re.M), \
        (out, r.stderr.decode(), open(path).read())


# --- the examples in the documents load -------------------------------

def ini_examples():
    """(where, text) of every INI example: the literal blocks of the man
    pages that hold a [section], and README.md's ```ini blocks."""
    out = []
    for page in ("man/stamp.1", "man/stamp.ini.5"):
        for i, block in enumerate(re.findall(r"^\.Bd -literal[^\n]*\n(.*?)^\.Ed",
                                             source(page), flags=re.S | re.M)):
            if re.search(r"^\[\w+\]$", block, flags=re.M):
                text = block.replace("\\e", "\\")
                out.append(("%s#%d" % (page, i), text))
    for i, block in enumerate(re.findall(r"```ini\n(.*?)```",
                                         source("README.md"), flags=re.S)):
        out.append(("README.md#%d" % i, re.sub(r"(?m)^   ", "", block)))
    assert len(out) >= 8, [w for w, _ in out]
    return out


def loadable(text, tmp_path, port):
    """The example with its servers on a closed loopback port and its
    files made (an aliases file, a CA), as the user would have them."""
    ca = tmp_path / "ca.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048",
                    "-nodes", "-keyout", str(tmp_path / "ca.key"), "-out",
                    str(ca), "-subj", "/CN=docs test", "-days", "2"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=True)
    aliases = tmp_path / "aliases"
    aliases.write_text("root: admin@example.org\n")
    out = []
    for line in text.splitlines():
        m = re.match(r"^\s*([a-z0-9_]+)\s*=\s*(.*)$", line)
        if m is None:
            out.append(line)
            continue
        k = m.group(1)
        if k == "host":
            line = "host = 127.0.0.1\nport = %d" % port
        elif k == "port":
            continue
        elif k == "aliases":
            line = "aliases = %s" % aliases
        elif k == "tls_trust_file":
            line = "tls_trust_file = %s" % ca
        out.append(line)
    p = tmp_path / "stamp.ini"
    p.write_text("\n".join(out) + "\n")
    os.chmod(p, 0o600)
    return str(p)


@pytest.mark.parametrize("where,text", ini_examples(),
                         ids=[w for w, _ in ini_examples()])
def test_ini_example_loads(stamp, env, tmp_path, where, text):
    path = loadable(text, tmp_path, closed_port())
    for acct in re.findall(r"^\[(\w+)\]$", text, flags=re.M):
        if acct == "defaults":
            continue
        r = R.run_stamp(["--doctor", acct], b"", path, env, stamp=stamp,
                        timeout=30)
        out = r.stdout.decode()
        assert re.search(r"^OK +config: ", out, flags=re.M), \
            (where, acct, out, r.stderr.decode(), text)


# --- what a beginner reads in the first hour --------------------------

def test_first_hour_no_config(run):
    """No file anywhere: the paths tried, and where to read how to write
    one."""
    r = run(["bob@example.org"], b"Subject: x\n\nb\n")
    assert_exit(r, 78)
    words_in(error_line(r), "no configuration file", "/etc/stamp.ini",
             "stamp.ini(5)", "-C")


def test_first_hour_no_recipients(smtps, config_for, run):
    """'stamp' alone: how to name recipients."""
    r = run([], b"Subject: x\n\nb\n", config_for(smtps))
    assert_exit(r, 64)
    words_in(error_line(r), "no recipients", "arguments", "-t")
    r = run(["-t"], b"Subject: x\n\nb\n", config_for(smtps))
    assert_exit(r, 64)
    words_in(error_line(r), "no recipients", "To, Cc")
    smtps.settle()
    assert smtps.connections == 0


def test_first_hour_untrusted_certificate(smtps, config_for, run):
    """The system store does not know the server's CA: the line says so
    in OpenSSL's words and points at --doctor, whose fix line names
    tls_trust_file and the tls_fingerprint to pin."""
    cfg = config_for(smtps, tls_trust_file=None)
    r = run(["bob@example.org"], b"Subject: x\n\nb\n", cfg)
    assert_exit(r, 69)
    words_in(error_line(r), "certificate", "stamp --doctor")
    r = run(["--doctor"], b"", cfg)
    assert_exit(r, 69)
    out = r.stdout.decode()
    assert re.search(r"^ +fix: .*tls_trust_file.*tls_fingerprint = [0-9A-F:]{95}$",
                     out, flags=re.M), out
    assert smtps.messages == []
