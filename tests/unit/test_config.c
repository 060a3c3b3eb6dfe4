/*
 * test_config.c - config.c: parsing, inheritance, every validation error
 * with its FILE:LINE, inih's limits, permissions, search order, choice.
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "result.h"

#define PATHBUF	256			/* mkdtemp paths are short */

static char	 dir[64];		/* a fresh mkdtemp directory */
static char	 ini[128];		/* dir/stamp.ini */

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static int
setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/stamp-test-config-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(ini, sizeof(ini), "%s/stamp.ini", dir);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	return nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* Write len bytes of text to path with exactly this mode. */
static void
write_bytes(const char *path, mode_t mode, const char *text, size_t len)
{
	int	 fd;

	unlink(path);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	assert_true(fd != -1);
	assert_int_equal(write(fd, text, len), (ssize_t)len);
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void
write_file(const char *path, mode_t mode, const char *text)
{
	write_bytes(path, mode, text, strlen(text));
}

/* Load text (as dir/stamp.ini, mode 0600) and expect success. */
static void
load_ok(struct config *cfg, const char *text)
{
	struct result	 res = { 0 };

	write_file(ini, 0600, text);
	if (config_load(cfg, ini, &res) != 0)
		fail_msg("unexpected error: %s", res.msg);
	assert_false(res.set);
}

/* Load and expect EX_CONFIG with "dir/stamp.ini:LINE: msg". */
static void
load_err_bytes(const char *text, size_t len, mode_t mode, int line,
    const char *msg)
{
	struct config	 cfg;
	struct result	 res = { 0 };
	char		 want[RESULT_MSG_MAX];

	write_bytes(ini, mode, text, len);
	assert_int_equal(config_load(&cfg, ini, &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	if (line > 0)
		snprintf(want, sizeof(want), "%s:%d: %s", ini, line, msg);
	else
		snprintf(want, sizeof(want), "%s", msg);
	assert_string_equal(res.msg, want);
	assert_null(cfg.accounts);
	assert_int_equal(cfg.naccounts, 0);
}

static void
load_err(const char *text, int line, const char *msg)
{
	load_err_bytes(text, strlen(text), 0600, line, msg);
}

static const struct account *
account(const struct config *cfg, const char *name)
{
	struct result	 res = { 0 };
	const struct account *a;

	a = config_choose(cfg, name, NULL, &res);
	assert_non_null(a);
	return a;
}

static void
test_full(void **state)
{
	struct config	 cfg;
	struct result	 res = { 0 };
	const struct account *a;
	char		 trust[PATHBUF];

	(void)state;
	load_ok(&cfg,
	    "; stamp test\n"				/* 1 */
	    "[defaults]\n"
	    "tls = STARTTLS\n"
	    "user = joe\n"
	    "from = joe@example.org\n"			/* 5 */
	    "auth = PLAIN\n"
	    "timeout = 60\n"
	    "domain = client.example.org\n"
	    "# another comment\n"
	    "default_account = home\n"			/* 10 */
	    "\n"
	    "[work]\n"
	    "host = smtp.work.example\n"
	    "port = 2525\n"
	    "user = joe.work\n"				/* 15 */
	    "tls_trust_file = ca.pem\n"
	    "\n"
	    "  [home]   ; indented, with a comment\n"
	    "  host = mail.home.example   ; inline comment\n"
	    "\ttls = smtps\n"				/* 20 */
	    "  auth: login\n");
	assert_string_equal(cfg.path, ini);
	assert_int_equal(cfg.naccounts, 2);
	assert_string_equal(cfg.default_account, "home");

	a = account(&cfg, "work");
	assert_string_equal(a->name, "work");
	assert_string_equal(a->host, "smtp.work.example");
	assert_int_equal(a->port, 2525);
	assert_int_equal(a->tls, TLS_STARTTLS);
	assert_string_equal(a->user, "joe.work");
	assert_string_equal(a->from, "joe@example.org");
	assert_string_equal(a->auth, "plain");
	assert_int_equal(a->timeout, 60);
	assert_string_equal(a->domain, "client.example.org");
	snprintf(trust, sizeof(trust), "%s/ca.pem", dir);
	assert_string_equal(a->tls_trust_file, trust);
	assert_null(a->password);
	assert_null(a->password_command);
	assert_string_equal(a->file, ini);
	assert_int_equal(a->line, 12);

	a = account(&cfg, "home");
	assert_string_equal(a->host, "mail.home.example");
	assert_int_equal(a->port, 465);
	assert_int_equal(a->tls, TLS_SMTPS);
	assert_string_equal(a->user, "joe");
	assert_string_equal(a->auth, "login");
	assert_int_equal(a->line, 18);

	/* No name: default_account. */
	a = config_choose(&cfg, NULL, NULL, &res);
	assert_non_null(a);
	assert_string_equal(a->name, "home");
	config_free(&cfg);
	assert_null(cfg.accounts);
}

static void
test_port_defaults(void **state)
{
	struct config	 cfg;
	const struct account *a;

	(void)state;
	load_ok(&cfg,
	    "[a]\nhost = a.example\n"
	    "[b]\nhost = b.example\ntls = starttls\n"
	    "[c]\nhost = c.example\ntls = starttls\nport = 25\n"
	    "[d]\nhost = d.example\ntls = smtps\nport = 0465\n");
	a = account(&cfg, "a");
	assert_int_equal(a->port, 465);
	assert_int_equal(a->tls, TLS_SMTPS);
	assert_int_equal(a->timeout, 300);
	assert_string_equal(a->auth, "auto");
	assert_null(a->user);
	assert_null(a->from);
	assert_null(a->domain);
	assert_null(a->tls_trust_file);
	assert_null(a->password);
	assert_null(a->password_command);
	assert_null(a->qualify_domain);
	assert_null(a->aliases);
	assert_int_equal(a->set_from_header, FROM_HDR_AUTO);
	assert_int_equal(account(&cfg, "b")->port, 587);
	assert_int_equal(account(&cfg, "b")->tls, TLS_STARTTLS);
	assert_int_equal(account(&cfg, "c")->port, 25);
	assert_int_equal(account(&cfg, "d")->port, 465);
	config_free(&cfg);
}

static void
test_syntax_forms(void **state)
{
	struct config	 cfg;
	const struct account *a;
	/* BOM, CRLF, indented keys (not continuations), absolute path. */
	static const char text[] =
	    "\xef\xbb\xbf[x.y_z-1]\r\n"
	    "host = h.example\r\n"
	    "    port = 2525\r\n"
	    "    user = a user\t name\r\n"
	    "tls_trust_file = /etc/ssl/ca.pem\r\n"
	    "password = semi;colon#hash\r\n"
	    "timeout = 86400";			/* no final newline */

	(void)state;
	load_ok(&cfg, text);
	a = account(&cfg, "x.y_z-1");
	assert_string_equal(a->host, "h.example");
	assert_int_equal(a->port, 2525);
	assert_string_equal(a->user, "a user\t name");
	assert_string_equal(a->tls_trust_file, "/etc/ssl/ca.pem");
	assert_string_equal(a->password, "semi;colon#hash");
	assert_int_equal(a->timeout, 86400);
	config_free(&cfg);
}

/* qualify_domain, aliases, set_from_header: inherited, normalised. */
static void
test_unqualified_keys(void **state)
{
	struct config	 cfg;
	const struct account *a;
	char		 path[PATHBUF];

	(void)state;
	load_ok(&cfg,
	    "[defaults]\n"
	    "qualify_domain = example.org\n"
	    "aliases = aliases.txt\n"
	    "set_from_header = ON\n"
	    "[a]\nhost = x\n"
	    "[b]\nhost = y\nqualify_domain = b\xc3\xbc.example-1.org\n"
	    "aliases = /etc/aliases.stamp\nset_from_header = off\n"
	    "[c]\nhost = z\nset_from_header = auto\n");
	a = account(&cfg, "a");
	assert_string_equal(a->qualify_domain, "example.org");
	snprintf(path, sizeof(path), "%s/aliases.txt", dir);
	assert_string_equal(a->aliases, path);
	assert_int_equal(a->set_from_header, FROM_HDR_ON);
	a = account(&cfg, "b");
	assert_string_equal(a->qualify_domain, "b\xc3\xbc.example-1.org");
	assert_string_equal(a->aliases, "/etc/aliases.stamp");
	assert_int_equal(a->set_from_header, FROM_HDR_OFF);
	assert_int_equal(account(&cfg, "c")->set_from_header, FROM_HDR_AUTO);
	config_free(&cfg);
}

/* The TLS and long-line keys of the reliability work: defaults, forms. */
static void
test_tls_and_long_lines_keys(void **state)
{
	struct config	 cfg;
	const struct account *a;
	char		 path[PATHBUF];

	(void)state;
	load_ok(&cfg,
	    "[defaults]\n"
	    "tls_min_version = 1.3\n"
	    "[a]\nhost = x\n"
	    "[b]\nhost = y\ntls_min_version = 1.2\nlong_lines = REFUSE\n"
	    "tls_fingerprint = AB:cd:" "00:11:22:33:44:55:66:77:88:99:aa:bb:cc"
	    ":dd:ee:ff:00:11:22:33:44:55:66:77:88:99:aa:bb:cc:dd\n"
	    "tls_cert_file = client.pem\ntls_key_file = /k/client.key\n"
	    "[c]\nhost = z\nlong_lines = pass\npipelining = OFF\n"
	    "chunking = off\ntls_resume = off\nqueue = yes\n"
	    "queue_dir = /var/q\nauth = SCRAM-SHA-256-PLUS\n"
	    "authzid = boss\n");
	a = account(&cfg, "a");
	assert_int_equal(a->pipelining, 1);
	assert_int_equal(a->chunking, 1);
	assert_int_equal(a->tls_min_version, 13);
	assert_int_equal(a->long_lines, LONG_ENCODE);
	assert_null(a->tls_fingerprint);
	assert_null(a->tls_cert_file);
	a = account(&cfg, "b");
	assert_int_equal(a->tls_min_version, 12);
	assert_int_equal(a->long_lines, LONG_REFUSE);
	assert_string_equal(a->tls_fingerprint, "abcd00112233445566778899aabbcc"
	    "ddeeff00112233445566778899aabbccdd");
	snprintf(path, sizeof(path), "%s/client.pem", dir);
	assert_string_equal(a->tls_cert_file, path);
	assert_string_equal(a->tls_key_file, "/k/client.key");
	assert_int_equal(account(&cfg, "c")->long_lines, LONG_PASS);
	assert_int_equal(account(&cfg, "c")->pipelining, 0);
	assert_int_equal(account(&cfg, "c")->chunking, 0);
	assert_int_equal(a->tls_resume, 1);
	assert_int_equal(a->queue, 0);
	assert_null(a->queue_dir);
	assert_null(a->authzid);
	assert_string_equal(a->auth, "auto");
	a = account(&cfg, "c");
	assert_int_equal(a->tls_resume, 0);
	assert_int_equal(a->queue, 1);
	assert_string_equal(a->queue_dir, "/var/q");
	assert_string_equal(a->auth, "scram-sha-256-plus");
	assert_string_equal(a->authzid, "boss");
	config_free(&cfg);
	load_err("[a]\nhost = x\npipelining = on\n", 3,
	    "pipelining must be auto or off, not 'on'");
	load_err("[a]\nhost = x\nchunking = yes\n", 3,
	    "chunking must be auto or off, not 'yes'");
	load_err("[a]\nhost = x\ntls_min_version = 1.1\n", 3,
	    "tls_min_version must be 1.2 or 1.3, not '1.1'");
	load_err("[a]\nhost = x\nlong_lines = fold\n", 3,
	    "long_lines must be encode, pass or refuse, not 'fold'");
	load_err("[a]\nhost = x\ntls_fingerprint = abcd\n", 3,
	    "tls_fingerprint must be a SHA-256 fingerprint: 64 hex digits, "
	    "':' between bytes allowed");
	load_err("[a]\nhost = x\ntls_fingerprint = " "0123456789abcdef0123456789"
	    "abcdef0123456789abcdef0123456789abcdefg\n", 3,
	    "tls_fingerprint must be a SHA-256 fingerprint: 64 hex digits, "
	    "':' between bytes allowed");
	load_err("[a]\nhost = x\ntls_cert_file = /c.pem\n", 1,
	    "account 'a' needs both tls_cert_file and tls_key_file, or "
	    "neither");
}

static const struct bad {
	const char	*text;
	int		 line;
	const char	*msg;
} bad[] = {
	{ "host = x\n[a]\nhost = y\n", 1, "key 'host' outside any section" },
	{ "[a]\nhost = x\nhots = y\n", 3, "unknown key 'hots' in [a]" },
	{ "[defaults]\nhost = x\nHost = y\n", 3,
	    "unknown key 'Host' in [defaults]" },
	{ "[a]\nhost = x\nhost = y\n", 3,
	    "duplicate key 'host' in [a] (first on line 2)" },
	{ "[a]\nhost = x\n[b]\nhost = y\n[a]\n", 5,
	    "duplicate section [a] (first on line 1)" },
	{ "[defaults]\nport = 25\n[defaults]\n", 3,
	    "duplicate section [defaults] (first on line 1)" },
	{ "[a]\nhost = x\ndefault_account = a\n", 3,
	    "default_account is only valid in [defaults]" },
	{ "[a]\nhost = x\nport = abc\n", 3,
	    "port must be a number from 1 to 65535, not 'abc'" },
	{ "[a]\nhost = x\nport = 0\n", 3,
	    "port must be a number from 1 to 65535, not '0'" },
	{ "[a]\nhost = x\nport = 65536\n", 3,
	    "port must be a number from 1 to 65535, not '65536'" },
	{ "[a]\nhost = x\nport = 25x\n", 3,
	    "port must be a number from 1 to 65535, not '25x'" },
	{ "[a]\nhost = x\nport = +25\n", 3,
	    "port must be a number from 1 to 65535, not '+25'" },
	{ "[a]\nhost = x\nport = -1\n", 3,
	    "port must be a number from 1 to 65535, not '-1'" },
	{ "[a]\nhost = x\nport = 0x19\n", 3,
	    "port must be a number from 1 to 65535, not '0x19'" },
	{ "[a]\nhost = x\nport = 2 5\n", 3,
	    "port must be a number from 1 to 65535, not '2 5'" },
	{ "[a]\nhost = x\nport = 99999999999999999999999\n", 3,
	    "port must be a number from 1 to 65535, "
	    "not '99999999999999999999999'" },
	{ "[defaults]\ntimeout = 0\n", 2,
	    "timeout must be a number from 1 to 86400, not '0'" },
	{ "[a]\nhost = x\ntimeout = 86401\n", 3,
	    "timeout must be a number from 1 to 86400, not '86401'" },
	{ "[a]\nhost = x\ntls = ssl\n", 3,
	    "tls must be smtps or starttls, not 'ssl'" },
	{ "[a]\nhost = x\nauth = gssapi\n", 3,
	    "auth must be auto, plain, login, cram-md5, digest-md5, "
	    "scram-sha-1, scram-sha-256, scram-sha-1-plus, scram-sha-256-plus, "
	    "xoauth2, oauthbearer or external, not 'gssapi'" },
	{ "[a]\nhost = x\ntls = starttls\nport = 465\n", 4,
	    "account 'a': port 465 is for implicit TLS, where the server "
	    "waits for TLS before it greets: set tls = smtps, or port = 587 "
	    "for STARTTLS" },
	{ "[defaults]\nport = 465\n[a]\nhost = x\ntls = starttls\n", 2,
	    "account 'a': port 465 is for implicit TLS, where the server "
	    "waits for TLS before it greets: set tls = smtps, or port = 587 "
	    "for STARTTLS" },
	{ "[a]\nhost = x\nqueue = on\n", 3,
	    "queue must be yes or no, not 'on'" },
	{ "[a]\nhost = x\ntls_resume = no\n", 3,
	    "tls_resume must be auto or off, not 'no'" },
	{ "[a]\nhost = x\nset_from_header = yes\n", 3,
	    "set_from_header must be auto, on or off, not 'yes'" },
	{ "[defaults]\nqualify_domain = @example.org\n", 2,
	    "qualify_domain must be a domain name such as example.org, not "
	    "'@example.org'" },
	{ "[a]\nhost = x\nqualify_domain = .example.org\n", 3,
	    "qualify_domain must be a domain name such as example.org, not "
	    "'.example.org'" },
	{ "[a]\nhost = x\nqualify_domain = example..org\n", 3,
	    "qualify_domain must be a domain name such as example.org, not "
	    "'example..org'" },
	{ "[a]\nhost = x\nqualify_domain = example.org.\n", 3,
	    "qualify_domain must be a domain name such as example.org, not "
	    "'example.org.'" },
	{ "[a]\nhost = x\nqualify_domain = ex_ample.org\n", 3,
	    "qualify_domain must be a domain name such as example.org, not "
	    "'ex_ample.org'" },
	{ "[a]\nhost = x\nqualify_domain = b\xfc.example\n", 3,
	    "qualify_domain must be a domain name such as example.org, not "
	    "'b?.example'" },

	{ "[a]\nhost =\n", 2, "empty value for 'host'" },
	{ "[a]\nhost = ;just a comment\n", 2, "empty value for 'host'" },
	{ "[a]\nhost = a b\n", 2,
	    "host must not contain white space or control characters" },
	{ "[a]\nhost = x\nuser = a\x01z\n", 3,
	    "user must not contain control characters" },
	{ "[a]\nport = 25\n\n[b]\nhost = x\n", 1, "account 'a' has no host" },
	{ "[a]\nhost = x\npassword = p\npassword_command = echo p\n", 1,
	    "account 'a' has both password (line 3) and password_command "
	    "(line 4); keep one" },
	{ "[defaults]\npassword_command = echo p\n[a]\nhost = x\n"
	    "password = p\n", 3,
	    "account 'a' has both password (line 5) and password_command "
	    "(line 2); keep one" },
	{ "[defaults]\ndefault_account = nope\n[a]\nhost = x\n", 2,
	    "default_account 'nope': no such account" },
	{ "[defaults]\ndefault_account = a b\n", 2,
	    "default_account: 'a b' is not an account name" },
	{ "[a b]\nhost = x\n", 1,
	    "section name 'a b' must be letters, digits, '.', '_' or '-'" },
	{ "[]\nhost = x\n", 1,
	    "section name '' must be letters, digits, '.', '_' or '-'" },
	{ "[x/y]\n", 1,
	    "section name 'x/y' must be letters, digits, '.', '_' or '-'" },
	{ "[a\nhost = x\n", 1, "'[' without ']'" },
	{ "[a] x\nhost = x\n", 1, "text after ']'" },
	{ "[a]\nhost smtp.example.org\n", 2,
	    "expected [section], key = value, or a comment" },
	/* The earliest error wins, whoever finds it. */
	{ "[a]\ngarbage\nbogus = 1\n", 2,
	    "expected [section], key = value, or a comment" },
	{ "[a]\nbogus = 1\ngarbage\n", 2, "unknown key 'bogus' in [a]" },
};

static void
test_errors(void **state)
{
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		load_err(bad[i].text, bad[i].line, bad[i].msg);
}

static void
test_errors_with_path(void **state)
{
	char	 want[RESULT_MSG_MAX];
	static const char nul[] = "[a]\nhost = x\0y\n";

	(void)state;
	snprintf(want, sizeof(want), "tls_trust_file: '~' is not expanded; "
	    "give an absolute path or one relative to the directory of %s",
	    ini);
	load_err("[a]\nhost = x\ntls_trust_file = ~/ca.pem\n", 3, want);
	snprintf(want, sizeof(want), "aliases: '~' is not expanded; "
	    "give an absolute path or one relative to the directory of %s",
	    ini);
	load_err("[defaults]\naliases = ~/.aliases\n", 2, want);
	snprintf(want, sizeof(want), "%s: no account; add a section such as "
	    "[name] with host = ...", ini);
	load_err("[defaults]\nport = 25\n", 0, want);
	load_err("", 0, want);
	load_err_bytes(nul, sizeof(nul) - 1, 0600, 2, "NUL byte in line");
}

/* inih 55 takes 198 bytes a line (INI_MAX_LINE 200: LF and NUL). */
static void
test_long_lines(void **state)
{
	struct config	 cfg;
	char		 text[4096];
	char		 val[2048];

	(void)state;
	memset(val, 'a', sizeof(val));
	/* "user = " is 7 bytes: 191 more make 198. */
	snprintf(text, sizeof(text), "[a]\nhost = x\nuser = %.*s\r\n", 191,
	    val);
	load_ok(&cfg, text);
	assert_int_equal(strlen(cfg.accounts[0].user), 191);
	config_free(&cfg);

	snprintf(text, sizeof(text), "[a]\nhost = x\nuser = %.*s\n", 192, val);
	load_err(text, 3, "line longer than 198 bytes");
	snprintf(text, sizeof(text), "[a]\nhost = x\npassword = %.*s\n", 300,
	    val);
	load_err(text, 3, "line longer than 198 bytes");
	/* Longer than our own buffer (CONFIG_LINE_MAX) too. */
	snprintf(text, sizeof(text), "[a]\nhost = x\n\n; %.*s\n[b]\n",
	    CONFIG_LINE_MAX + 500, val);
	load_err(text, 4, "line longer than 198 bytes");
}

/* inih 55 keeps 49 bytes of a section name. */
static void
test_long_section(void **state)
{
	struct config	 cfg;
	char		 text[512];
	char		 name[128];

	(void)state;
	memset(name, 'n', sizeof(name));
	snprintf(text, sizeof(text), "[%.*s]\nhost = x\n", 49, name);
	load_ok(&cfg, text);
	assert_int_equal(strlen(cfg.accounts[0].name), 49);
	config_free(&cfg);

	snprintf(text, sizeof(text), "[x]\nhost = x\n[%.*s]\nhost = x\n", 50,
	    name);
	load_err(text, 3, "section name longer than 49 bytes");
	snprintf(text, sizeof(text), "[%.*s]\nhost = x\n", CONFIG_NAME_MAX + 1,
	    name);
	load_err(text, 1, "section name longer than 49 bytes");
}

static void
test_permissions(void **state)
{
	static const char text[] =
	    "[a]\nhost = x\nuser = u\npassword = s3cret\n";
	static const char text2[] =
	    "[defaults]\npassword_command = pass smtp\n[a]\nhost = x\n";
	struct config	 cfg;
	struct result	 res = { 0 };
	char		 want[RESULT_MSG_MAX];

	(void)state;
	snprintf(want, sizeof(want), "%s holds a password or password_command "
	    "(line 4) but is open to group or others (mode 0644); fix with: "
	    "chmod 600 %s", ini, ini);
	load_err_bytes(text, strlen(text), 0644, 0, want);
	snprintf(want, sizeof(want), "%s holds a password or password_command "
	    "(line 2) but is open to group or others (mode 0640); fix with: "
	    "chmod 600 %s", ini, ini);
	load_err_bytes(text2, strlen(text2), 0640, 0, want);
	snprintf(want, sizeof(want), "%s holds a password or password_command "
	    "(line 4) but is open to group or others (mode 0604); fix with: "
	    "chmod 600 %s", ini, ini);
	load_err_bytes(text, strlen(text), 0604, 0, want);

	load_ok(&cfg, text);
	assert_string_equal(cfg.accounts[0].password, "s3cret");
	config_free(&cfg);

	/* No secret in the file: any mode will do. */
	write_file(ini, 0644, "[a]\nhost = x\nuser = u\n");
	assert_int_equal(config_load(&cfg, ini, &res), 0);
	config_free(&cfg);

	if (geteuid() != 0)
		return;			/* cannot give the file away */
	write_file(ini, 0600, text);
	assert_int_equal(chown(ini, 1, 1), 0);
	assert_int_equal(config_load(&cfg, ini, &res), -1);
	snprintf(want, sizeof(want), "%s holds a password or password_command "
	    "(line 4) but belongs to uid 1, not to you (uid 0); use a file of "
	    "your own with mode 600", ini);
	assert_string_equal(res.msg, want);
	assert_int_equal(res.exitcode, EX_CONFIG);
}

static void
test_explicit_missing(void **state)
{
	struct config	 cfg;
	struct result	 res = { 0 };
	char		 path[PATHBUF], want[RESULT_MSG_MAX];

	(void)state;
	snprintf(path, sizeof(path), "%s/nope.ini", dir);
	assert_int_equal(config_load(&cfg, path, &res), -1);
	assert_int_equal(res.exitcode, EX_CONFIG);
	snprintf(want, sizeof(want), "cannot open %s: No such file or "
	    "directory", path);
	assert_string_equal(res.msg, want);

	memset(&res, 0, sizeof(res));
	assert_int_equal(config_load(&cfg, dir, &res), -1);
	snprintf(want, sizeof(want), "cannot open %s: not a regular file",
	    dir);
	assert_string_equal(res.msg, want);
}

static void
mkdirs(const char *base, const char *sub)
{
	char	 path[PATHBUF];
	char	*p;

	snprintf(path, sizeof(path), "%s/%s", base, sub);
	for (p = path + strlen(base) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0700);
		*p = '/';
	}
	mkdir(path, 0700);
}

static void
test_search(void **state)
{
	struct config	 cfg;
	struct result	 res = { 0 };
	char		 home[128], xdg[128], path[PATHBUF];
	char		 want[RESULT_MSG_MAX];
	char		*oldhome, *oldxdg;

	(void)state;
	oldhome = getenv("HOME") ? strdup(getenv("HOME")) : NULL;
	oldxdg = getenv("XDG_CONFIG_HOME") ?
	    strdup(getenv("XDG_CONFIG_HOME")) : NULL;
	snprintf(home, sizeof(home), "%s/home", dir);
	snprintf(xdg, sizeof(xdg), "%s/xdg", dir);
	setenv("HOME", home, 1);

	/* $XDG_CONFIG_HOME first. */
	mkdirs(dir, "xdg/stamp");
	snprintf(path, sizeof(path), "%s/stamp/stamp.ini", xdg);
	write_file(path, 0600, "[xdg]\nhost = x\n");
	setenv("XDG_CONFIG_HOME", xdg, 1);
	assert_int_equal(config_load(&cfg, NULL, &res), 0);
	assert_string_equal(cfg.path, path);
	assert_string_equal(cfg.accounts[0].name, "xdg");
	config_free(&cfg);

	/* Else (unset, or relative) ~/.config. */
	mkdirs(dir, "home/.config/stamp");
	snprintf(path, sizeof(path), "%s/.config/stamp/stamp.ini", home);
	write_file(path, 0600, "[home]\nhost = x\n");
	setenv("XDG_CONFIG_HOME", "relative/dir", 1);
	assert_int_equal(config_load(&cfg, NULL, &res), 0);
	assert_string_equal(cfg.path, path);
	config_free(&cfg);
	unsetenv("XDG_CONFIG_HOME");
	assert_int_equal(config_load(&cfg, NULL, &res), 0);
	assert_string_equal(cfg.path, path);
	config_free(&cfg);

	/* -C wins over the search. */
	write_file(ini, 0600, "[c]\nhost = x\n");
	assert_int_equal(config_load(&cfg, ini, &res), 0);
	assert_string_equal(cfg.accounts[0].name, "c");
	config_free(&cfg);

	/* A directory where the file should be is an error, not a skip. */
	unlink(path);
	mkdir(path, 0700);
	assert_int_equal(config_load(&cfg, NULL, &res), -1);
	snprintf(want, sizeof(want), "cannot open %s: not a regular file",
	    path);
	assert_string_equal(res.msg, want);
	rmdir(path);

	/* Nothing at all: name the paths tried. */
	if (access("/etc/stamp.ini", F_OK) != 0) {
		memset(&res, 0, sizeof(res));
		assert_int_equal(config_load(&cfg, NULL, &res), -1);
		assert_int_equal(res.exitcode, EX_CONFIG);
		snprintf(want, sizeof(want), "no configuration file (tried %s, "
		    "/etc/stamp.ini); create one (see stamp.ini(5)) or give -C "
		    "FILE", path);
		assert_string_equal(res.msg, want);
	}

	if (oldhome != NULL)
		setenv("HOME", oldhome, 1);
	if (oldxdg != NULL)
		setenv("XDG_CONFIG_HOME", oldxdg, 1);
	free(oldhome);
	free(oldxdg);
}

static void
choose_err(const struct config *cfg, const char *name, const char *want)
{
	struct result	 res = { 0 };

	assert_null(config_choose(cfg, name, NULL, &res));
	assert_int_equal(res.exitcode, EX_CONFIG);
	assert_string_equal(res.msg, want);
}

static void
test_from_matches(void **state)
{
	(void)state;
	assert_true(config_from_matches("joe@example.org", "joe@example.org"));
	assert_true(config_from_matches("joe@example.org", "JOE@Example.ORG"));
	assert_true(config_from_matches("joe@example.org", "<joe@example.org>"));
	assert_false(config_from_matches("joe@example.org", "jo@example.org"));
	assert_false(config_from_matches("joe@example.org", "joe@example.or"));
	/* +detail: the sender's, not the account's. */
	assert_true(config_from_matches("joe@example.org",
	    "joe+lists@example.org"));
	assert_true(config_from_matches("joe@example.org",
	    "Joe+a+b@EXAMPLE.org"));
	assert_false(config_from_matches("joe+lists@example.org",
	    "joe@example.org"));
	assert_false(config_from_matches("joe@example.org", "+x@example.org"));
	assert_false(config_from_matches("joe@example.org", "joe+x"));
	assert_false(config_from_matches("joe@example.org",
	    "joe+x@other.org"));
	/* Patterns: fnmatch, case-insensitive. */
	assert_true(config_is_pattern("*@example.org"));
	assert_true(config_is_pattern("joe?@x"));
	assert_true(config_is_pattern("[jb]oe@x"));
	assert_false(config_is_pattern("joe@example.org"));
	assert_true(config_from_matches("*@example.org", "bob@EXAMPLE.org"));
	assert_true(config_from_matches("*@example.org",
	    "<bob+x@example.org>"));
	assert_false(config_from_matches("*@example.org", "bob@example.net"));
	assert_false(config_from_matches("*@example.org",
	    "bob@sub.example.org.evil"));
	assert_true(config_from_matches("*@*.example.org",
	    "bob@sub.example.org"));
	assert_true(config_from_matches("joe?@x", "joe1@x"));
	assert_true(config_from_matches("[jb]oe@x", "Boe@x"));
	assert_false(config_from_matches("*@example.org", "root"));
}

/* -f picks the account whose from matches; the default one first. */
static void
test_choose_by_sender(void **state)
{
	struct config	 cfg;
	struct result	 res = { 0 };

	(void)state;
	load_ok(&cfg,
	    "[defaults]\ndefault_account = home\n"
	    "[work]\nhost = w\nfrom = joe@work.example\n"
	    "[lists]\nhost = l\nfrom = *@lists.example\n"
	    "[home]\nhost = h\nfrom = joe@home.example\n"
	    "[home2]\nhost = h2\nfrom = joe@home.example\n"
	    "[work2]\nhost = w2\nfrom = joe@work.example\n"
	    "[nofrom]\nhost = n\n");
	assert_string_equal(config_choose(&cfg, NULL, "joe@work.example",
	    &res)->name, "work");
	assert_string_equal(config_choose(&cfg, NULL, "JOE+x@Work.Example",
	    &res)->name, "work");
	assert_string_equal(config_choose(&cfg, NULL, "<a@lists.example>",
	    &res)->name, "lists");
	assert_string_equal(config_choose(&cfg, NULL, "joe@home.example",
	    &res)->name, "home");
	/* No match, or unqualified (cronie's -f root): default_account. */
	assert_string_equal(config_choose(&cfg, NULL, "x@nowhere.example",
	    &res)->name, "home");
	assert_string_equal(config_choose(&cfg, NULL, "root", &res)->name,
	    "home");
	/* -a wins over -f. */
	assert_string_equal(config_choose(&cfg, "nofrom", "joe@work.example",
	    &res)->name, "nofrom");
	assert_false(res.set);
	config_free(&cfg);

	/* A from in [defaults] matches every account: the default wins. */
	load_ok(&cfg, "[defaults]\nfrom = joe@example.org\n"
	    "default_account = b\n[a]\nhost = x\n[b]\nhost = y\n");
	assert_string_equal(config_choose(&cfg, NULL, "joe@example.org",
	    &res)->name, "b");
	config_free(&cfg);

	/* No default: the first match in file order, else the only one. */
	load_ok(&cfg, "[a]\nhost = x\nfrom = *@x.example\n"
	    "[b]\nhost = y\nfrom = joe@x.example\n");
	assert_string_equal(config_choose(&cfg, NULL, "joe@x.example",
	    &res)->name, "a");
	assert_false(res.set);
	assert_null(config_choose(&cfg, NULL, "joe@y.example", &res));
	assert_int_equal(res.exitcode, EX_CONFIG);
	config_free(&cfg);
	load_ok(&cfg, "[a]\nhost = x\nfrom = a@x.example\n");
	memset(&res, 0, sizeof(res));
	assert_string_equal(config_choose(&cfg, NULL, "b@y.example",
	    &res)->name, "a");
	config_free(&cfg);
}

static void
test_choose(void **state)
{
	struct config	 cfg;
	struct result	 res = { 0 };
	const struct account *a;
	char		 want[RESULT_MSG_MAX];

	(void)state;
	/* The only account. */
	load_ok(&cfg, "[solo]\nhost = x\n");
	a = config_choose(&cfg, NULL, NULL, &res);
	assert_non_null(a);
	assert_string_equal(a->name, "solo");
	snprintf(want, sizeof(want), "no account 'zz' in %s", ini);
	choose_err(&cfg, "zz", want);
	config_free(&cfg);

	/* Several, no default. */
	load_ok(&cfg, "[a]\nhost = x\n[b]\nhost = y\n");
	snprintf(want, sizeof(want), "%s has several accounts and no "
	    "default_account; pick one with -a", ini);
	choose_err(&cfg, NULL, want);
	a = config_choose(&cfg, "b", NULL, &res);
	assert_non_null(a);
	assert_string_equal(a->host, "y");
	config_free(&cfg);

	/* default_account, and -a over it. */
	load_ok(&cfg, "[b]\nhost = y\n[a]\nhost = x\n"
	    "[defaults]\ndefault_account = a\n");
	assert_string_equal(config_choose(&cfg, NULL, NULL, &res)->name, "a");
	assert_string_equal(config_choose(&cfg, "b", NULL, &res)->name, "b");
	assert_false(res.set);
	config_free(&cfg);
}

/* oauth2_*: presets, overrides, what an OAuth2 account needs. */
static void
test_oauth2_keys(void **state)
{
	static const struct { const char *text; int line; const char *msg; }
	    o2bad[] = {
		{ "[a]\nhost = x\noauth2_provider = yahoo\n", 3,
		    "oauth2_provider must be google, microsoft or custom, not "
		    "'yahoo'" },
		{ "[a]\nhost = x\noauth2_token_endpoint = http://x/t\n", 3,
		    "oauth2_token_endpoint must be an https:// URL, not "
		    "'http://x/t'" },
		{ "[a]\nhost = x\noauth2_flow = magic\n", 3,
		    "oauth2_flow must be auto, device or code, not 'magic'" },
		{ "[a]\nhost = x\noauth2_client_id = c\n", 3,
		    "oauth2_client_id needs oauth2_provider in account 'a'" },
		{ "[a]\nhost = x\nuser = u\noauth2_provider = google\n"
		    "oauth2_client_id = c\n", 1, "account 'a' has "
		    "oauth2_provider but auth is auto; set auth = xoauth2 or "
		    "oauthbearer" },
		{ "[a]\nhost = x\nuser = u\nauth = xoauth2\n"
		    "oauth2_provider = google\n", 1, "account 'a' has "
		    "oauth2_provider but no oauth2_client_id" },
		{ "[a]\nhost = x\nauth = xoauth2\noauth2_client_id = c\n"
		    "oauth2_provider = google\n", 1, "account 'a' has "
		    "oauth2_provider but no user" },
		{ "[a]\nhost = x\nuser = u\nauth = xoauth2\n"
		    "oauth2_provider = custom\noauth2_client_id = c\n", 1,
		    "account 'a' has oauth2_provider but no "
		    "oauth2_token_endpoint" },
		{ "[a]\nhost = x\nuser = u\nauth = xoauth2\n"
		    "oauth2_provider = google\noauth2_client_id = c\n"
		    "oauth2_flow = device\n", 7, "oauth2_flow = device needs "
		    "oauth2_device_endpoint (the provider has none)" },
	};
	static const char o2secret[] =
	    "[a]\noauth2_client_secret = s\nhost = x\n";
	struct config	 cfg;
	const struct account *a;
	char		 want[RESULT_MSG_MAX];
	size_t		 i;

	(void)state;
	for (i = 0; i < sizeof(o2bad) / sizeof(o2bad[0]); i++)
		load_err(o2bad[i].text, o2bad[i].line, o2bad[i].msg);
	load_ok(&cfg,
	    "[defaults]\nauth = XOAUTH2\nuser = u@x\n"
	    "[g]\nhost = smtp.gmail.com\noauth2_provider = Google\n"
	    "oauth2_client_id = id.apps\n"
	    "[m]\nhost = smtp.office365.com\noauth2_provider = microsoft\n"
	    "oauth2_client_id = 1234\nauth = oauthbearer\n"
	    "oauth2_scope = https://outlook.office.com/SMTP.Send\n"
	    "[c]\nhost = x\noauth2_provider = custom\noauth2_client_id = c\n"
	    "oauth2_client_secret = s3\noauth2_flow = code\n"
	    "oauth2_token_endpoint = https://127.0.0.1:8443/token\n"
	    "oauth2_authorize_endpoint = HTTPS://127.0.0.1:8443/auth\n"
	    "[p]\nhost = y\n");
	a = account(&cfg, "g");
	assert_string_equal(a->oauth2_provider, "google");
	assert_string_equal(a->oauth2_client_id, "id.apps");
	assert_null(a->oauth2_client_secret);
	assert_string_equal(a->oauth2_scope, "https://mail.google.com/");
	assert_string_equal(a->oauth2_token_endpoint,
	    "https://oauth2.googleapis.com/token");
	assert_string_equal(a->oauth2_authorize_endpoint,
	    "https://accounts.google.com/o/oauth2/v2/auth");
	assert_null(a->oauth2_device_endpoint);
	assert_int_equal(a->oauth2_flow, OAUTH2_FLOW_AUTO);
	a = account(&cfg, "m");
	assert_string_equal(a->auth, "oauthbearer");
	assert_string_equal(a->oauth2_scope,
	    "https://outlook.office.com/SMTP.Send");
	assert_string_equal(a->oauth2_device_endpoint, "https://login."
	    "microsoftonline.com/common/oauth2/v2.0/devicecode");
	a = account(&cfg, "c");
	assert_string_equal(a->oauth2_client_secret, "s3");
	assert_null(a->oauth2_scope);
	assert_null(a->oauth2_device_endpoint);
	assert_string_equal(a->oauth2_authorize_endpoint,
	    "HTTPS://127.0.0.1:8443/auth");
	assert_int_equal(a->oauth2_flow, OAUTH2_FLOW_CODE);
	assert_null(account(&cfg, "p")->oauth2_provider);
	config_free(&cfg);

	/* A client secret is a secret: the file must be private. */
	snprintf(want, sizeof(want), "%s holds oauth2_client_secret (line 2) "
	    "but is open to group or others (mode 0640); fix with: chmod 600 "
	    "%s", ini, ini);
	load_err_bytes(o2secret, strlen(o2secret), 0640, 0, want);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_port_defaults),
		cmocka_unit_test(test_syntax_forms),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_errors_with_path),
		cmocka_unit_test(test_long_lines),
		cmocka_unit_test(test_long_section),
		cmocka_unit_test(test_permissions),
		cmocka_unit_test(test_explicit_missing),
		cmocka_unit_test(test_search),
		cmocka_unit_test(test_choose),
		cmocka_unit_test(test_unqualified_keys),
		cmocka_unit_test(test_tls_and_long_lines_keys),
		cmocka_unit_test(test_from_matches),
		cmocka_unit_test(test_choose_by_sender),
		cmocka_unit_test(test_oauth2_keys),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
