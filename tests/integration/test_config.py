"""Configuration errors: exit 78 and "FILE:LINE: ..." on stderr; the file
must be private when it holds a password."""
import pytest

from stamptest import run as R
from stamptest.checks import SIMPLE, assert_exit, assert_sent, error_line, \
    words_in


def bad_config(tmp_path, certs, server, **over):
    """Write the standard account plus over (values, or None to drop) and
    return (path, line of the last overridden key)."""
    cfg = R.account(server, certs)
    cfg["test"].update(over)
    path, where = R.write_config(tmp_path / "stamp.ini", cfg)
    line = max((where[("test", k)] for k in over if ("test", k) in where),
               default=None)
    return path, line


@pytest.mark.parametrize("key,value", [
    ("bogus_key", "1"),
    ("passwordeval", "echo x"),      # msmtp's name, not ours
    ("Host2", "localhost"),
])
def test_unknown_key(smtps, certs, tmp_path, run, key, value):
    path, line = bad_config(tmp_path, certs, smtps, **{key: value})
    r = run(["a@x.org"], SIMPLE, path)
    assert_exit(r, 78)
    words_in(error_line(r), "%s:%d" % (path, line))
    smtps.settle()
    assert smtps.connections == 0


def test_unknown_key_in_defaults(smtps, certs, tmp_path, run):
    cfg = R.account(smtps, certs)
    cfg["defaults"]["nonsense"] = "yes"
    path, where = R.write_config(tmp_path / "stamp.ini", cfg)
    r = run(["a@x.org"], SIMPLE, path)
    assert_exit(r, 78)
    words_in(error_line(r), "%s:%d" % (path, where[("defaults", "nonsense")]))


@pytest.mark.parametrize("key,value", [
    ("tls", "sometimes"),
    ("auth", "cram-md5-please"),
    ("port", "notanumber"),
    ("port", "70000"),
    ("timeout", "-3"),
])
def test_bad_value(smtps, certs, tmp_path, run, key, value):
    path, line = bad_config(tmp_path, certs, smtps, **{key: value})
    r = run(["a@x.org"], SIMPLE, path)
    assert_exit(r, 78)
    words_in(error_line(r), "%s:%d" % (path, line))


def test_line_too_long_is_an_error(smtps, certs, tmp_path, run):
    """inih would silently truncate it (DESIGN 8)."""
    path, line = bad_config(tmp_path, certs, smtps,
                            domain="d" * 2000 + ".example")
    r = run(["a@x.org"], SIMPLE, path)
    assert_exit(r, 78)
    words_in(error_line(r), "%s:%d" % (path, line))


def test_missing_host(smtps, certs, tmp_path, run):
    path, _ = bad_config(tmp_path, certs, smtps, host=None)
    r = run(["a@x.org"], SIMPLE, path)
    assert_exit(r, 78)
    words_in(error_line(r), "host")


def test_missing_config_file(run, tmp_path):
    r = run(["a@x.org"], SIMPLE, str(tmp_path / "does-not-exist.ini"))
    assert_exit(r, 78)
    words_in(error_line(r), "does-not-exist.ini")


def test_unknown_account(smtps, config_for, run):
    r = run(["-a", "nosuch", "a@x.org"], SIMPLE, config_for(smtps))
    assert_exit(r, 78)
    words_in(error_line(r), "nosuch")


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
@pytest.mark.parametrize("holds", ["password", "password_command"])
def test_readable_config_with_secret_refused(smtps, certs, tmp_path, run,
                                             mode, holds):
    cfg = R.account(smtps, certs)
    if holds == "password_command":
        cfg["test"]["password"] = None
        cfg["test"]["password_command"] = "printf %%s %s" % R.PASSWORD
    path, _ = R.write_config(tmp_path / "stamp.ini", cfg, mode=mode)
    r = run(["a@x.org"], SIMPLE, path)
    assert_exit(r, 78)
    error_line(r)
    smtps.settle()
    assert smtps.connections == 0


def test_readable_config_without_secret_allowed(smtps, certs, tmp_path, run,
                                                env, keyring):
    """0644 is fine when the password is in the Secret Service."""
    keyring.store("localhost", "pub-user", "pub-pw")
    smtps.user, smtps.password = b"pub-user", b"pub-pw"
    cfg = R.account(smtps, certs, user="pub-user", password=None)
    path, _ = R.write_config(tmp_path / "stamp.ini", cfg, mode=0o644)
    e = dict(env)
    e.update(keyring.env)
    r = run(["a@x.org"], SIMPLE, path, env=e)
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))


def test_comments_and_defaults_inherited(smtps, certs, tmp_path, run):
    """[defaults] values are inherited by accounts; ; and # comments."""
    acct = R.account(smtps, certs)["test"]
    shared = {k: acct.pop(k) for k in ("tls_trust_file", "timeout",
                                       "domain", "tls")}
    text = ["; a comment", "# another", "[defaults]",
            "default_account = test"]
    text += ["%s = %s" % kv for kv in shared.items()]
    text += ["", "[test]"] + ["%s = %s" % kv for kv in acct.items()
                              if kv[1] is not None]
    p = tmp_path / "stamp.ini"
    p.write_text("\n".join(text) + "\n")
    p.chmod(0o600)
    r = run(["a@x.org"], SIMPLE, str(p))
    assert_sent(r, smtps, ["a@x.org"], R.crlf(SIMPLE))
