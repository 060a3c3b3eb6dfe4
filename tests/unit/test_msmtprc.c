/*
 * test_msmtprc.c - msmtp configurations -> stamp.ini: the syntax msmtp
 * reads, defaults and inheritance, the default account, msmtp's defaults
 * written out, every warning and every error with its line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "msmtprc.h"
#include "result.h"

#define HEADER \
	"; stamp.ini(5) for stamp(1), made by stamp --import-msmtprc from\n" \
	"; rc\n" \
	"; Check it, then save it as ~/.config/stamp/stamp.ini.\n"
#define HEADER_SECRET \
	"; stamp.ini(5) for stamp(1), made by stamp --import-msmtprc from\n" \
	"; rc\n" \
	"; Check it, then save it as ~/.config/stamp/stamp.ini\n" \
	"; and chmod 600 it: it holds a password or password_command.\n"

struct conv {
	int		 rv;
	struct result	 res;
	char		*out, *warn;
	size_t		 outlen, warnlen;
};

static void
convert_bytes(struct conv *c, const char *in, size_t len)
{
	FILE	*fin, *fout, *fwarn;

	memset(c, 0, sizeof(*c));
	assert_non_null(fin = fmemopen((void *)(uintptr_t)in, len, "r"));
	assert_non_null(fout = open_memstream(&c->out, &c->outlen));
	assert_non_null(fwarn = open_memstream(&c->warn, &c->warnlen));
	c->rv = msmtprc_convert(fin, "rc", "/home/joe", fout, fwarn, &c->res);
	fclose(fin);
	fclose(fout);
	fclose(fwarn);
}

static void
convert(struct conv *c, const char *in)
{
	convert_bytes(c, in, strlen(in));
}

static void
conv_free(struct conv *c)
{
	free(c->out);
	free(c->warn);
}

/* in converts without error or warning to exactly want. */
static void
check_ok(const char *in, const char *want)
{
	struct conv	 c;

	convert(&c, in);
	if (c.rv != 0)
		fail_msg("unexpected error: %s", c.res.msg);
	assert_string_equal(c.warn, "");
	assert_string_equal(c.out, want);
	conv_free(&c);
}

/* in fails with EX_CONFIG, the message msg, and nothing on out. */
static void
check_err(const char *in, const char *msg)
{
	struct conv	 c;

	convert(&c, in);
	assert_int_equal(c.rv, -1);
	assert_int_equal(c.res.exitcode, EX_CONFIG);
	assert_string_equal(c.res.msg, msg);
	assert_string_equal(c.out, "");
	conv_free(&c);
}

/* in converts; its warnings are exactly warn and out contains want. */
static void
check_warn(const char *in, const char *want, const char *warn)
{
	struct conv	 c;

	convert(&c, in);
	if (c.rv != 0)
		fail_msg("unexpected error: %s", c.res.msg);
	assert_string_equal(c.warn, warn);
	if (strstr(c.out, want) == NULL)
		fail_msg("'%s' not in:\n%s", want, c.out);
	conv_free(&c);
}

static void
test_one_account(void **state)
{
	(void)state;
	check_ok("account gmail\n"
	    "host smtp.gmail.com\n"
	    "port 587\n"
	    "tls on\n"
	    "auth on\n"
	    "user joe\n"
	    "from joe@gmail.com\n",
	    HEADER "\n[defaults]\n\n[gmail]\nhost = smtp.gmail.com\n"
	    "tls = starttls\nuser = joe\nfrom = joe@gmail.com\n");
}

/* Comments, blank lines, indentation, CRLF, quotes, "on" by default. */
static void
test_syntax(void **state)
{
	(void)state;
	check_ok("# a comment\n"
	    "\n"
	    "   # indented comment\r\n"
	    "account\t a\r\n"
	    "\thost   \"smtp.example.org\"  \r\n"
	    "  tls\n"
	    "tls_starttls off\n"
	    "auth\n"
	    "user \"joe # not a comment\"\n",
	    HEADER "\n[defaults]\n\n[a]\nhost = smtp.example.org\n"
	    "tls = smtps\nuser = joe # not a comment\n");
}

/*
 * msmtp's defaults written out: tls off (plain text, and port 25), no
 * AUTH without "auth on" (user dropped).
 */
static void
test_msmtp_defaults(void **state)
{
	(void)state;
	check_warn("account a\nhost h.example\nuser joe\n",
	    "[a]\nhost = h.example\nport = 25\ntls = starttls\n",
	    "stamp: rc:1: account a: msmtp sends without TLS here (tls off "
	    "is msmtp's default); stamp always uses TLS: tls = starttls\n"
	    "stamp: rc:3: account a: msmtp does not authenticate without "
	    "\"auth on\"; user and password not imported\n");
	check_ok("account a\nhost h\ntls on\nport 465\n",
	    HEADER "\n[defaults]\n\n[a]\nhost = h\nport = 465\n"
	    "tls = starttls\n");
	check_ok("account a\nhost h\ntls on\ntls_starttls off\nport 2465\n",
	    HEADER "\n[defaults]\n\n[a]\nhost = h\nport = 2465\n"
	    "tls = smtps\n");
}

/* defaults apply to the accounts that follow; parents merge in order. */
static void
test_inheritance(void **state)
{
	(void)state;
	check_ok("defaults\n"
	    "tls on\n"
	    "auth on\n"
	    "port 587\n"
	    "account base\n"
	    "host mail.example.org\n"
	    "user base\n"
	    "account other\n"
	    "host other.example\n"
	    "tls_starttls off\n"
	    "port 465\n"
	    "defaults\n"
	    "timeout 30\n"
	    "account personal : base\n"
	    "user joe\n"
	    "from joe@example.org\n"
	    "account work : base, other\n"
	    "user jdoe\n",
	    HEADER "\n[defaults]\n"
	    "\n[base]\nhost = mail.example.org\ntls = starttls\nuser = base\n"
	    "\n[other]\nhost = other.example\ntls = smtps\n"
	    "\n[personal]\nhost = mail.example.org\ntls = starttls\n"
	    "user = joe\nfrom = joe@example.org\ntimeout = 30\n"
	    "\n[work]\nhost = other.example\ntls = smtps\nuser = jdoe\n"
	    "timeout = 30\n");
}

/* What every account shares goes to [defaults]. */
static void
test_shared_keys(void **state)
{
	(void)state;
	check_ok("defaults\ntls on\nauth on\ntimeout 20\n"
	    "tls_trust_file ~/ca.pem\n"
	    "account a\nhost a.example\nport 587\nuser a\n"
	    "account b\nhost b.example\nport 587\nuser b\n",
	    HEADER "\n[defaults]\ntls = starttls\n"
	    "tls_trust_file = /home/joe/ca.pem\ntimeout = 20\n"
	    "\n[a]\nhost = a.example\nuser = a\n"
	    "\n[b]\nhost = b.example\nuser = b\n");
}

/* "account default : X" names X; an own "default" account stays one. */
static void
test_default_account(void **state)
{
	(void)state;
	check_ok("defaults\ntls on\nport 587\n"
	    "account a\nhost a.example\naccount b\nhost b.example\n"
	    "account default : b\n",
	    HEADER "\n[defaults]\ndefault_account = b\ntls = starttls\n"
	    "\n[a]\nhost = a.example\n\n[b]\nhost = b.example\n");
	check_ok("defaults\ntls on\nport 587\n"
	    "account a\nhost a.example\n"
	    "account default : a\nfrom x@a.example\n",
	    HEADER "\n[defaults]\ndefault_account = default\n"
	    "tls = starttls\n"
	    "\n[a]\nhost = a.example\n"
	    "\n[default]\nhost = a.example\nfrom = x@a.example\n");
	check_ok("account default\nhost h\ntls on\nport 587\n",
	    HEADER "\n[defaults]\ndefault_account = default\n"
	    "\n[default]\nhost = h\ntls = starttls\n");
}

static void
test_auth_and_passwords(void **state)
{
	(void)state;
	check_ok("account a\nhost h\ntls on\nport 587\nauth scram-sha-256\n"
	    "user joe\npasswordeval \"pass show mail/h\"\n",
	    HEADER_SECRET "\n[defaults]\n\n[a]\nhost = h\ntls = starttls\n"
	    "auth = scram-sha-256\nuser = joe\n"
	    "password_command = pass show mail/h\n");
	check_ok("account a\nhost h\ntls on\nport 587\nauth plain\n"
	    "user joe\npassword \"p4ss word\"\n",
	    HEADER_SECRET "\n[defaults]\n\n[a]\nhost = h\ntls = starttls\n"
	    "auth = plain\nuser = joe\npassword = p4ss word\n");
	check_warn("account a\nhost h\ntls on\nport 587\nauth gssapi\n"
	    "user joe\n",
	    "[a]\nhost = h\ntls = starttls\nuser = joe\n",
	    "stamp: rc:5: auth gssapi has no equivalent in stamp, not "
	    "imported (stamp chooses: auth = auto)\n");
	check_warn("account a\nhost h\ntls on\nport 587\nauth on\n"
	    "user joe\npassword x\npasswordeval cat pw\n",
	    "password_command = cat pw\n",
	    "stamp: rc:7: password: passwordeval takes precedence, password "
	    "not imported\n");
}

/* Values that a stamp.ini line cannot hold are left out, and said so. */
static void
test_unwritable(void **state)
{
	(void)state;
	check_warn("account a\nhost h\ntls on\nport 587\nauth on\nuser joe\n"
	    "password \"pw ;x\"\n",
	    "user = joe\n",
	    "stamp: rc:7: password cannot be written in stamp.ini (a ';' "
	    "after white space starts a comment), not imported: store it "
	    "with secret-tool store --label=stamp host h service smtp user "
	    "joe\n");
	check_warn("account a\nhost h\ntls on\nport 587\nauth on\nuser joe\n"
	    "password ;starts-a-comment\n",
	    "user = joe\n",
	    "stamp: rc:7: password cannot be written in stamp.ini (a ';' "
	    "after white space starts a comment), not imported: store it "
	    "with secret-tool store --label=stamp host h service smtp user "
	    "joe\n");
	check_ok("account a\nhost h\ntls on\nport 587\nauth on\nuser joe\n"
	    "password #x;y\n",
	    HEADER_SECRET "\n[defaults]\n\n[a]\nhost = h\ntls = starttls\n"
	    "user = joe\npassword = #x;y\n");
	check_warn("account a\nhost h\ntls on\nport 587\nauth on\nuser joe\n"
	    "passwordeval \" cmd\"\n",
	    "user = joe\n",
	    "stamp: rc:7: password_command cannot be written in stamp.ini "
	    "(white space at its start or end would be lost), not imported\n");
	check_warn("account a\nhost h\ntls on\nport 587\nfrom \"a b@x\"\n",
	    "tls = starttls\n",
	    "stamp: rc:5: from cannot be written in stamp.ini (it has white "
	    "space), not imported\n");
}

static void
test_tls_settings(void **state)
{
	(void)state;
	check_ok("account a\nhost h\ntls on\ntls_starttls off\n"
	    "tls_trust_file system\n"
	    "tls_fingerprint 72:E4:0C:2E:C2:70:25:C6:D2:48:F1:85:E2:A4:62:08:"
	    "F3:64:13:74:65:C6:B4:38:4F:60:76:B3:80:3B:A7:01\n"
	    "tls_cert_file /c.pem\ntls_key_file ~/c.key\n",
	    HEADER "\n[defaults]\n\n[a]\nhost = h\ntls = smtps\n"
	    "tls_fingerprint = 72:E4:0C:2E:C2:70:25:C6:D2:48:F1:85:E2:A4:62:08"
	    ":F3:64:13:74:65:C6:B4:38:4F:60:76:B3:80:3B:A7:01\n"
	    "tls_cert_file = /c.pem\ntls_key_file = /home/joe/c.key\n");
	check_warn("account a\nhost h\ntls on\ntls_starttls off\n"
	    "tls_fingerprint 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:"
	    "00:11:22:33\n",
	    "tls = smtps\n",
	    "stamp: rc:5: tls_fingerprint: stamp takes only SHA-256 "
	    "fingerprints, not imported; get it with: openssl s_client "
	    "-connect h:465 </dev/null | openssl x509 -noout -fingerprint "
	    "-sha256\n");
	check_warn("account a\nhost h\ntls on\ntls_starttls off\n"
	    "tls_cert_file /c.pem\n",
	    "tls = smtps\n",
	    "stamp: rc:5: account a: tls_cert_file and tls_key_file go "
	    "together, not imported\n");
	check_warn("account a\nhost h\ntls on\ntls_starttls off\n"
	    "tls_trust_file ca.pem\n",
	    "tls_trust_file = ca.pem\n",
	    "stamp: rc:5: tls_trust_file ca.pem is relative: stamp takes it "
	    "from the directory of stamp.ini\n");
}

static void
test_other_settings(void **state)
{
	(void)state;
	check_ok("account a\nhost h\ntls on\ntls_starttls off\n"
	    "domain client.example\ntimeout 60\nset_from_header on\n"
	    "aliases ~/.aliases\n",
	    HEADER "\n[defaults]\n\n[a]\nhost = h\ntls = smtps\n"
	    "domain = client.example\ntimeout = 60\nset_from_header = on\n"
	    "aliases = /home/joe/.aliases\n");
	/* Settings that match stamp's behaviour need no warning. */
	check_ok("account a\nhost h\ntls on\ntls_starttls off\n"
	    "domain localhost\nset_from_header auto\nprotocol smtp\n"
	    "tls_certcheck on\nsyslog LOG_MAIL\nlogfile\nremove_bcc_headers\n"
	    "dsn_notify off\nadd_missing_from_header on\n",
	    HEADER "\n[defaults]\n\n[a]\nhost = h\ntls = smtps\n");
	check_warn("account a\nhost h\ntls on\ntls_starttls off\n"
	    "timeout 100000\nfrom %U@example.org\n"
	    "add_missing_from_header off\n",
	    "tls = smtps\ntimeout = 86400\nset_from_header = off\n",
	    "stamp: rc:5: timeout 100000: stamp waits at most 86400 seconds\n"
	    "stamp: rc:6: from %U@example.org: substitution patterns have no "
	    "equivalent in stamp, not imported\n");
}

static void
test_no_equivalent(void **state)
{
	(void)state;
	check_warn("defaults\nlogfile ~/.msmtp.log\nsyslog off\n"
	    "account a\nhost h\ntls on\ntls_starttls off\n"
	    "proxy_host 127.0.0.1\ntls_certcheck off\neval echo host x\n"
	    "frobnicate yes\n",
	    "[a]\nhost = h\ntls = smtps\n",
	    "stamp: rc:2: logfile ~/.msmtp.log has no equivalent in stamp, "
	    "not imported (stamp logs every message to syslog)\n"
	    "stamp: rc:3: syslog off has no equivalent in stamp, not imported "
	    "(stamp always logs to syslog, facility mail)\n"
	    "stamp: rc:8: proxy_host 127.0.0.1 has no equivalent in stamp, "
	    "not imported (stamp does not use a SOCKS proxy)\n"
	    "stamp: rc:9: tls_certcheck off has no equivalent in stamp, not "
	    "imported (stamp always verifies the server's certificate; pin a "
	    "self-signed one with tls_fingerprint)\n"
	    "stamp: rc:10: eval has no equivalent in stamp, not imported "
	    "(stamp runs no commands while reading its configuration; write "
	    "the result in, or use password_command)\n"
	    "stamp: rc:11: unknown msmtp command frobnicate, not imported\n");
}

/* A warning about a line in [defaults] is given once, not per account. */
static void
test_warning_once(void **state)
{
	(void)state;
	check_warn("defaults\ntls off\naccount a\nhost a\naccount b\nhost b\n",
	    "[defaults]\nport = 25\ntls = starttls\n",
	    "stamp: rc:2: tls off: msmtp sends without TLS here; stamp always "
	    "uses TLS: tls = starttls\n");
}

static void
test_names(void **state)
{
	(void)state;
	check_warn("account my account\nhost h\ntls on\nport 587\n",
	    "[my_account]\nhost = h\n",
	    "stamp: rc:1: account my account is [my_account] in stamp.ini "
	    "(letters, digits, '.', '_', '-', at most 49 bytes, not "
	    "defaults)\n");
	check_warn("account defaults\nhost h\ntls on\nport 587\n",
	    "[defaults_]\nhost = h\n",
	    "stamp: rc:1: account defaults is [defaults_] in stamp.ini "
	    "(letters, digits, '.', '_', '-', at most 49 bytes, not "
	    "defaults)\n");
	check_warn("account base\ntls on\nauth on\naccount a : base\nhost h\n"
	    "port 587\n",
	    "\n[a]\nhost = h\n",
	    "stamp: rc:1: account base has no host, not imported\n");
}

static void
test_errors(void **state)
{
	(void)state;
	check_err("account a\nhost h\naccount b : c\n",
	    "rc:3: account c not (yet) defined");
	check_err("account a\nhost h\naccount a\n",
	    "rc:3: account a was already defined");
	check_err("account a\nhost h\nport 0\n",
	    "rc:3: invalid argument 0 for command port");
	check_err("account a\nhost h\nport 587 # comment\n",
	    "rc:3: invalid argument 587 # comment for command port");
	check_err("account a\nhost h\ntls yes\n",
	    "rc:3: invalid argument yes for command tls");
	check_err("account a\nhost h\ntimeout soon\n",
	    "rc:3: invalid argument soon for command timeout");
	check_err("account\n", "rc:1: account needs a name");
	check_err("# nothing\n", "rc:1: no account with a host to import");
	check_err("account a\ntls on\n",
	    "rc:2: no account with a host to import");
	check_err("account a\nhost h\naccount a_b\nhost h\naccount a b\n"
	    "host h\n",
	    "rc:5: accounts a_b and a b are both [a_b] in stamp.ini");
}

static void
test_ceilings(void **state)
{
	struct conv	 c;
	char		*big;
	size_t		 n = MSMTPRC_LINE_MAX + 20;

	(void)state;
	convert_bytes(&c, "account a\nhost h\0x\n", 19);
	assert_int_equal(c.rv, -1);
	assert_string_equal(c.res.msg, "rc:2: NUL byte in the line");
	conv_free(&c);

	assert_non_null(big = malloc(n + 1));
	memset(big, 'x', n);
	memcpy(big, "account a\nhost ", 15);
	big[n] = '\0';
	convert(&c, big);
	assert_int_equal(c.rv, -1);
	assert_string_equal(c.res.msg, "rc:2: line longer than 4096 bytes");
	conv_free(&c);
	free(big);
}

static void
test_find(void **state)
{
	struct result	 res = { 0 };
	char		*p;

	(void)state;
	assert_non_null(p = msmtprc_find("/x/rc", &res));
	assert_string_equal(p, "/x/rc");
	free(p);
	setenv("HOME", "/nonexistent-stamp-home", 1);
	setenv("XDG_CONFIG_HOME", "/nonexistent-stamp-xdg", 1);
	assert_null(msmtprc_find(NULL, &res));
	assert_int_equal(res.exitcode, EX_CONFIG);
	assert_string_equal(res.msg, "no msmtp configuration: neither "
	    "/nonexistent-stamp-home/.msmtprc nor "
	    "/nonexistent-stamp-xdg/msmtp/config exists");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one_account),
		cmocka_unit_test(test_syntax),
		cmocka_unit_test(test_msmtp_defaults),
		cmocka_unit_test(test_inheritance),
		cmocka_unit_test(test_shared_keys),
		cmocka_unit_test(test_default_account),
		cmocka_unit_test(test_auth_and_passwords),
		cmocka_unit_test(test_unwritable),
		cmocka_unit_test(test_tls_settings),
		cmocka_unit_test(test_other_settings),
		cmocka_unit_test(test_no_equivalent),
		cmocka_unit_test(test_warning_once),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_ceilings),
		cmocka_unit_test(test_find),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
