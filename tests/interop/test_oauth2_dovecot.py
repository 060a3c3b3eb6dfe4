"""OAuth2 end to end (issue 9): stamp gets a grant from the test provider
(tests/integration/stamptest/oauthprovider.py, HTTPS with the stack's CA)
into a real gnome-keyring, and the HS256 JWT access token it then presents
with XOAUTH2 or OAUTHBEARER is validated by Dovecot's oauth2 passdb
(introspection_mode = local) behind real Postfix, which delivers.  A
token signed with another key is refused by Dovecot: 77."""
import pytest

import mailstack
from conftest import OAUTH2_KEY, Mail
from helpers import check_delivered, message, rcpt, sasl_methods
from stamptest.checks import show
from stamptest import run as R
from stamptest.keyring import Keyring
from stamptest.oauthprovider import OAuthProvider


@pytest.fixture(scope="module")
def keyring(tmp_path_factory):
    kr = Keyring(tmp_path_factory.mktemp("keyring"))
    kr.start()
    yield kr
    kr.stop()


@pytest.fixture
def omail(oauth_stack):
    return Mail(oauth_stack)


def provider(stack, key):
    return OAuthProvider(stack.certs, user=mailstack.USER, jwt_key=key,
                         issuer=mailstack.OAUTH2_ISSUER).start()


def o2_config(tmp_path, stack, prov, mode, mech):
    acct = {
        "host": "localhost",
        "port": stack.smtps if mode == "smtps" else stack.submission,
        "tls": mode, "user": mailstack.USER, "from": R.FROM,
        "auth": mech, "tls_trust_file": stack.certs.ca_pem,
        "timeout": 30, "domain": R.DOMAIN,
    }
    acct.update(prov.keys())
    return R.write_config(tmp_path / "stamp.ini", {
        "defaults": {"default_account": "test"}, "test": acct})[0]


@pytest.mark.parametrize("mode,mech", [("smtps", "xoauth2"),
                                       ("starttls", "oauthbearer")])
def test_token_from_provider_authenticates_at_dovecot(
        oauth_stack, omail, tmp_path, run, env, keyring, mode, mech):
    kenv = dict(env, **keyring.env)
    prov = provider(oauth_stack, OAUTH2_KEY)
    try:
        cfg = o2_config(tmp_path, oauth_stack, prov, mode, mech)
        r = run(["--oauth2-authorize", "test"], b"", cfg, env=kenv)
        assert r.returncode == 0, show(r)
        sent = message("interop oauth2 " + mech)
        r = run([rcpt("alice")], sent, cfg, env=kenv)
        assert r.returncode == 0, show(r)
    finally:
        prov.stop()
    raw, = omail.settle(["alice"])["alice"]
    check_delivered(raw, sent, "alice")
    log = omail.log()
    assert sasl_methods(log) == [(mech.upper(), "joe")], log


def test_token_with_wrong_key_is_refused(oauth_stack, omail, tmp_path, run,
                                         env, keyring):
    kenv = dict(env, **keyring.env)
    prov = provider(oauth_stack, b"not-the-key-dovecot-knows")
    try:
        cfg = o2_config(tmp_path, oauth_stack, prov, "smtps", "xoauth2")
        r = run(["--oauth2-authorize", "test"], b"", cfg, env=kenv)
        assert r.returncode == 0, show(r)
        r = run([rcpt("alice")], message("interop oauth2 bad key"), cfg,
                env=kenv)
    finally:
        prov.stop()
    assert r.returncode == 77, show(r)
    assert b"535" in r.stderr, show(r)
    omail.nothing_delivered()
    log = omail.dovecot_log("signature")
    assert "Incorrect JWT signature" in log, log
