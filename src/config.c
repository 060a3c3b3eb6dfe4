/*
 * config.c - the INI file -> accounts (config.h).
 *
 * inih splits "key = value", but Debian's inih 55 silently truncates
 * lines (200 bytes) and section names (50), joins indented lines to the
 * previous value, and tells its handler neither line numbers nor empty
 * sections.  So every raw line goes through our reader first
 * (ini_parse_stream): it counts lines, enforces the ceilings, handles
 * "[section]" itself and strips leading white space, so that inih's
 * handler is only ever called for "key = value" on the line we counted.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "cfgkeys.h"
#include "config.h"
#include "result.h"
#include "util.h"

#define INIH_SECTION_MAX	50	/* inih's MAX_SECTION, not in ini.h */
#define SECTIONS_MAX		256	/* accounts in one file */
#define TIMEOUT_DEFAULT		300
#define PORT_SMTPS		465
#define PORT_SUBMISSION		587
#define SYSTEM_CONFIG		"/etc/stamp.ini"
#define USER_CONFIG		"stamp/stamp.ini"
#define DEFAULTS		"defaults"
#define CONFIG_IOBUF		(16 * 1024)	/* stdio buffer, wiped */
#define CONFIG_STACK_WIPE	(16 * 1024)	/* inih's frame and more */


static void
section_free(struct section *sec)
{
	int	 k;

	for (k = 0; k < K_NKEYS; k++)
		cfg_free_value(sec->val[k], (enum key)k);
	free(sec->name);
	memset(sec, 0, sizeof(*sec));
}

/* The account section called name, or NULL. */
static const struct section *
section_find(const struct parse *p, const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < p->nsects; i++)
		if (strlen(p->sects[i].name) == len &&
		    memcmp(p->sects[i].name, name, len) == 0)
			return &p->sects[i];
	return NULL;
}

/* Open [name]: the defaults or a new account. */
static int
section_open(struct parse *p, const char *name, size_t len)
{
	const struct section *old;
	struct section	*sec, *v;

	if (len == strlen(DEFAULTS) && memcmp(name, DEFAULTS, len) == 0)
		sec = &p->defaults;
	else if ((old = section_find(p, name, len)) != NULL)
		return cfg_fail(p, p->lineno, "duplicate section [%.*s] (first "
		    "on line %d)", (int)len, name, old->line);
	else {
		if (p->nsects == SECTIONS_MAX)
			return cfg_fail(p, p->lineno, "more than %d sections",
			    SECTIONS_MAX);
		v = xreallocarray(p->sects, p->nsects + 1, sizeof(*v),
		    &p->res);
		if (v == NULL)
			return -1;
		p->sects = v;
		sec = &p->sects[p->nsects++];
		memset(sec, 0, sizeof(*sec));
	}
	if (sec->line != 0)
		return cfg_fail(p, p->lineno, "duplicate section [%.*s] (first "
		    "on line %d)", (int)len, name, sec->line);
	if ((sec->name = xstrndup(name, len, &p->res)) == NULL)
		return -1;
	sec->line = p->lineno;
	p->cur = sec;
	return 0;
}

/* A "[name]" line; s starts at '['. */
static int
section_header(struct parse *p, const char *s)
{
	const char	*end, *rest;
	size_t		 len, max;

	if ((end = strchr(s, ']')) == NULL)
		return cfg_fail(p, p->lineno, "'[' without ']'");
	for (rest = end + 1; isspace((unsigned char)*rest); rest++)
		continue;
	if (*rest != '\0' && *rest != ';' && *rest != '#')
		return cfg_fail(p, p->lineno, "text after ']'");
	len = (size_t)(end - s - 1);
	/* inih would cut the name short without a word. */
	max = CONFIG_NAME_MAX < INIH_SECTION_MAX - 1 ? CONFIG_NAME_MAX :
	    INIH_SECTION_MAX - 1;
	if (len > max)
		return cfg_fail(p, p->lineno, "section name longer than %zu "
		    "bytes", max);
	if (!cfg_valid_name(s + 1, len))
		return cfg_fail(p, p->lineno, "section name '%.*s' must be "
		    "letters, digits, '.', '_' or '-'", (int)len, s + 1);
	return section_open(p, s + 1, len);
}

/*
 * One raw line into p->buf without its LF (nor a CR before it).  Returns
 * 1 and its full length in *len (which may exceed the buffer), 0 at the
 * end of the file, -1 on a read error.
 */
static int
read_line(struct parse *p, size_t *len, int *nul)
{
	size_t	 n = 0, keep;
	int	 c;

	*nul = 0;
	*len = 0;
	while ((c = getc(p->fp)) != EOF && c != '\n') {
		if (c == '\0')
			*nul = 1;
		if (n < sizeof(p->buf) - 1)
			p->buf[n] = (char)c;
		n++;
	}
	if (ferror(p->fp)) {
		p->errline = p->lineno + 1;
		return result_fail(&p->res, EX_IOERR, "%s:%d: cannot read: %s",
		    p->path, p->errline, strerror(errno));
	}
	if (c == EOF && n == 0)
		return 0;
	keep = n < sizeof(p->buf) - 1 ? n : sizeof(p->buf) - 1;
	if (n == keep && n > 0 && p->buf[n - 1] == '\r')
		n = --keep;
	p->buf[keep] = '\0';
	*len = n;
	return 1;
}

/* Check one line; returns where inih's view of it starts, or NULL. */
static const char *
check_line(struct parse *p, size_t len, int nul, size_t limit)
{
	const char	*s = p->buf;

	if (p->lineno == 1 && len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
		s += 3;			/* a UTF-8 byte order mark */
		len -= 3;
	}
	if (len > limit) {
		cfg_fail(p, p->lineno, "line longer than %zu bytes", limit);
		return NULL;
	}
	if (nul) {
		cfg_fail(p, p->lineno, "NUL byte in line");
		return NULL;
	}
	/* No leading white space, so inih sees no continuation lines. */
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '[' && section_header(p, s) == -1)
		return NULL;
	return s;
}

/* inih's fgets-style reader: hand it one checked line. */
static char *
reader(char *str, int num, void *arg)
{
	struct parse	*p = arg;
	const char	*s;
	size_t		 len, limit;
	int		 nul;

	if (p->res.set || num < 3)
		return NULL;		/* stop at the first error */
	if (read_line(p, &len, &nul) != 1)
		return NULL;
	p->lineno++;
	/* inih needs room for the LF and the NUL. */
	limit = (size_t)num - 2;
	if (limit > CONFIG_LINE_MAX)
		limit = CONFIG_LINE_MAX;
	if ((s = check_line(p, len, nul, limit)) == NULL)
		return NULL;
	len = strlen(s);
	memcpy(str, s, len);
	str[len] = '\n';
	str[len + 1] = '\0';
	return str;
}

static int
set_key(struct parse *p, const char *section, const char *name,
    const char *value)
{
	struct section	*sec = p->cur;
	int		 k;

	if (sec == NULL)
		return cfg_fail(p, p->lineno, "key '%s' outside any section",
		    name);
	if (strcmp(section, sec->name) != 0)
		return cfg_fail(p, p->lineno, "the INI parser cut section "
		    "name [%s] short", sec->name);
	if ((k = cfg_key_lookup(name)) == -1)
		return cfg_fail(p, p->lineno, "unknown key '%s' in [%s]", name,
		    sec->name);
	if (k == K_DEFAULT && sec != &p->defaults)
		return cfg_fail(p, p->lineno, "default_account is only valid in "
		    "[" DEFAULTS "]");
	if (sec->vline[k] != 0)
		return cfg_fail(p, p->lineno, "duplicate key '%s' in [%s] (first "
		    "on line %d)", name, sec->name, sec->vline[k]);
	if (*value == '\0')
		return cfg_fail(p, p->lineno, "empty value for '%s'", name);
	if ((sec->val[k] = cfg_keys[k].check(p, name, value)) == NULL) {
		if (p->errline == 0)
			p->errline = p->lineno;	/* out of memory */
		return -1;
	}
	sec->vline[k] = p->lineno;
	if (cfg_key_secret((enum key)k) && p->secret_line == 0) {
		p->secret_line = p->lineno;
		p->secret_key = (enum key)k;
	}
	return 0;
}

static int
handler(void *arg, const char *section, const char *name, const char *value)
{
	if (name == NULL || value == NULL)
		return 1;		/* an inih that announces sections */
	return set_key(arg, section, name, value) == 0;
}

/*
 * inih keeps each line (a password's too) in its stack frame; overwrite
 * that stretch of stack once it returns.  noinline: this frame must lie
 * where inih's did.
 */
static void __attribute__((noinline))
wipe_stack(void)
{
	char	 pad[CONFIG_STACK_WIPE];

	explicit_bzero(pad, sizeof(pad));
}

/* Run inih over the file; the earliest error goes to res. */
static int
parse_file(struct parse *p, struct result *res)
{
	int	 rv;

	rv = ini_parse_stream(reader, p, handler, p);
	wipe_stack();
	if (rv == -2)
		return result_fail(res, EX_OSERR, "out of memory");
	/* inih's own complaint is a line without '=' (or ':'). */
	if (rv > 0 && (!p->res.set || rv < p->errline))
		return result_fail(res, EX_CONFIG, "%s:%d: expected [section], "
		    "key = value, or a comment", p->path, rv);
	if (p->res.set)
		return result_fail(res, p->res.exitcode, "%s", p->res.msg);
	return 0;
}

/* DESIGN.md 7: a file with a password is the user's and no one else's. */
static int
check_perms(const struct parse *p, int fd, struct result *res)
{
	struct stat	 st;
	const char	*what;

	if (p->secret_line == 0)
		return 0;
	what = p->secret_key == K_O2SECRET ? "oauth2_client_secret" :
	    "a password or password_command";
	if (fstat(fd, &st) == -1)
		return result_fail(res, EX_OSERR, "%s: %s", p->path,
		    strerror(errno));
	if (st.st_uid != geteuid())
		return result_fail(res, EX_CONFIG, "%s holds %s (line %d) "
		    "but belongs to uid %u, not to you (uid %u); use a file of "
		    "your own with mode 600", p->path, what, p->secret_line, (unsigned)st.st_uid,
		    (unsigned)geteuid());
	if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
		return result_fail(res, EX_CONFIG, "%s holds %s (line %d) "
		    "but is open to group or others (mode %04o); fix with: "
		    "chmod 600 %s", p->path, what, p->secret_line, (unsigned)(st.st_mode & 07777), p->path);
	return 0;
}

static int
dup_opt(char **dst, const char *src, struct result *res)
{
	if (src == NULL)
		return 0;
	return (*dst = xstrdup(src, res)) == NULL ? -1 : 0;
}

/* The account's own value, else the one from [defaults]. */
static const char *
effective(const struct parse *p, const struct section *sec, enum key k, int *line)
{
	const struct section *from;

	from = sec->val[k] != NULL ? sec : &p->defaults;
	if (line != NULL)
		*line = from->vline[k];
	return from->val[k];
}

/* The account's value, else the provider's preset (which may be NULL). */
static const char *
o2_value(const struct parse *p, const struct section *sec, enum key k)
{
	const struct oauth2_preset *pre;
	const char	*v, *prov;

	if ((v = effective(p, sec, k, NULL)) != NULL)
		return v;
	prov = effective(p, sec, K_O2PROV, NULL);
	if (prov == NULL || (pre = cfg_oauth2_preset(prov)) == NULL)
		return NULL;
	return k == K_O2SCOPE ? pre->scope : k == K_O2TOKEN ? pre->token :
	    k == K_O2AUTHZ ? pre->authorize : k == K_O2DEVICE ? pre->device :
	    NULL;
}

/* What an OAuth2 account needs; any oauth2_* key needs a provider. */
static int
check_oauth2(const struct parse *p, const struct section *sec,
    struct result *res)
{
	const char	*auth, *flow;
	int		 k, line;

	if (effective(p, sec, K_O2PROV, NULL) == NULL) {
		for (k = K_O2ID; k <= K_O2FLOW; k++)
			if (effective(p, sec, (enum key)k, &line) != NULL)
				return result_fail(res, EX_CONFIG, "%s:%d: %s "
				    "needs oauth2_provider in account '%s'",
				    p->path, line, cfg_keys[k].name,
				    sec->name);
		return 0;
	}
	auth = effective(p, sec, K_AUTH, NULL);
	if (auth == NULL || (strcmp(auth, "xoauth2") != 0 &&
	    strcmp(auth, "oauthbearer") != 0))
		return result_fail(res, EX_CONFIG, "%s:%d: account '%s' has "
		    "oauth2_provider but auth is %s; set auth = xoauth2 or "
		    "oauthbearer", p->path, sec->line, sec->name,
		    auth != NULL ? auth : "auto");
	if (effective(p, sec, K_USER, NULL) == NULL ||
	    effective(p, sec, K_O2ID, NULL) == NULL ||
	    o2_value(p, sec, K_O2TOKEN) == NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: account '%s' has "
		    "oauth2_provider but no %s", p->path, sec->line, sec->name,
		    effective(p, sec, K_USER, NULL) == NULL ? "user" :
		    effective(p, sec, K_O2ID, NULL) == NULL ?
		    "oauth2_client_id" : "oauth2_token_endpoint");
	flow = effective(p, sec, K_O2FLOW, &line);
	if (flow != NULL && strcmp(flow, "device") == 0 &&
	    o2_value(p, sec, K_O2DEVICE) == NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: oauth2_flow = device "
		    "needs oauth2_device_endpoint (the provider has none)",
		    p->path, line);
	if (flow != NULL && strcmp(flow, "code") == 0 &&
	    o2_value(p, sec, K_O2AUTHZ) == NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: oauth2_flow = code "
		    "needs oauth2_authorize_endpoint", p->path, line);
	return 0;
}

/*
 * Port 465 is implicit TLS (RFC 8314 3.3): a server there waits for a
 * ClientHello, so STARTTLS would wait out the whole timeout (5 minutes
 * by default) for a greeting that never comes.
 */
static int
check_port_mode(const struct parse *p, const struct section *sec,
    struct result *res)
{
	const char	*tls = effective(p, sec, K_TLS, NULL);
	const char	*port;
	int		 line;

	port = effective(p, sec, K_PORT, &line);
	if (tls == NULL || strcmp(tls, "starttls") != 0 || port == NULL ||
	    strtol(port, NULL, 10) != PORT_SMTPS)
		return 0;
	return result_fail(res, EX_CONFIG, "%s:%d: account '%s': port 465 "
	    "is for implicit TLS, where the server waits for TLS before it "
	    "greets: set tls = smtps, or port = 587 for STARTTLS", p->path,
	    line, sec->name);
}

static int
check_account(const struct parse *p, const struct section *sec,
    struct result *res)
{
	int	 pwline, cmdline;

	if (effective(p, sec, K_HOST, NULL) == NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: account '%s' has "
		    "no host", p->path, sec->line, sec->name);
	if (effective(p, sec, K_PW, &pwline) != NULL &&
	    effective(p, sec, K_PWCMD, &cmdline) != NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: account '%s' has "
		    "both password (line %d) and password_command (line %d); "
		    "keep one", p->path, sec->line, sec->name, pwline, cmdline);
	if ((effective(p, sec, K_CERT, NULL) == NULL) !=
	    (effective(p, sec, K_KEY, NULL) == NULL))
		return result_fail(res, EX_CONFIG, "%s:%d: account '%s' needs "
		    "both tls_cert_file and tls_key_file, or neither",
		    p->path, sec->line, sec->name);
	if (check_port_mode(p, sec, res) == -1)
		return -1;
	return check_oauth2(p, sec, res);
}

/* The enum-like keys, from their checked text. */
static void
set_choices(struct account *a, const struct parse *p,
    const struct section *sec)
{
	const char	*v;

	v = effective(p, sec, K_TLSMIN, NULL);
	a->tls_min_version = v != NULL && strcmp(v, "1.3") == 0 ? 13 : 12;
	v = effective(p, sec, K_LONG, NULL);
	a->long_lines = v == NULL ? LONG_ENCODE :
	    strcmp(v, "pass") == 0 ? LONG_PASS :
	    strcmp(v, "refuse") == 0 ? LONG_REFUSE : LONG_ENCODE;
	v = effective(p, sec, K_PIPE, NULL);
	a->pipelining = v == NULL || strcmp(v, "off") != 0;
	v = effective(p, sec, K_CHUNK, NULL);
	a->chunking = v == NULL || strcmp(v, "off") != 0;
	v = effective(p, sec, K_RESUME, NULL);
	a->tls_resume = v == NULL || strcmp(v, "off") != 0;
	v = effective(p, sec, K_QUEUE, NULL);
	a->queue = v != NULL && strcmp(v, "yes") == 0;
	v = effective(p, sec, K_O2FLOW, NULL);
	a->oauth2_flow = v == NULL ? OAUTH2_FLOW_AUTO :
	    strcmp(v, "device") == 0 ? OAUTH2_FLOW_DEVICE :
	    strcmp(v, "code") == 0 ? OAUTH2_FLOW_CODE : OAUTH2_FLOW_AUTO;
}

/* The OAuth2 strings, presets filled in. */
static int
build_oauth2(struct account *a, const struct parse *p,
    const struct section *sec, struct result *res)
{
	if (effective(p, sec, K_O2PROV, NULL) == NULL)
		return 0;
	if (dup_opt(&a->oauth2_provider, effective(p, sec, K_O2PROV, NULL),
	    res) == -1 ||
	    dup_opt(&a->oauth2_client_id, effective(p, sec, K_O2ID, NULL),
	    res) == -1 ||
	    dup_opt(&a->oauth2_client_secret, effective(p, sec, K_O2SECRET,
	    NULL), res) == -1 ||
	    dup_opt(&a->oauth2_scope, o2_value(p, sec, K_O2SCOPE), res) == -1 ||
	    dup_opt(&a->oauth2_token_endpoint, o2_value(p, sec, K_O2TOKEN),
	    res) == -1 ||
	    dup_opt(&a->oauth2_authorize_endpoint, o2_value(p, sec,
	    K_O2AUTHZ), res) == -1 ||
	    dup_opt(&a->oauth2_device_endpoint, o2_value(p, sec, K_O2DEVICE),
	    res) == -1)
		return -1;
	return 0;
}

static int
build_account(struct account *a, const struct parse *p,
    const struct section *sec, struct result *res)
{
	const char	*tls, *port, *timeout, *setfrom;

	if (check_account(p, sec, res) == -1)
		return -1;
	set_choices(a, p, sec);
	setfrom = effective(p, sec, K_SETFROM, NULL);
	a->set_from_header = setfrom == NULL ? FROM_HDR_AUTO :
	    strcmp(setfrom, "on") == 0 ? FROM_HDR_ON :
	    strcmp(setfrom, "off") == 0 ? FROM_HDR_OFF : FROM_HDR_AUTO;
	tls = effective(p, sec, K_TLS, NULL);
	a->tls = tls != NULL && strcmp(tls, "starttls") == 0 ?
	    TLS_STARTTLS : TLS_SMTPS;
	/* Both were checked by parse_number() already. */
	port = effective(p, sec, K_PORT, NULL);
	a->port = port != NULL ? (int)strtol(port, NULL, 10) :
	    a->tls == TLS_STARTTLS ? PORT_SUBMISSION : PORT_SMTPS;
	timeout = effective(p, sec, K_TIMEOUT, NULL);
	a->timeout = timeout != NULL ? (int)strtol(timeout, NULL, 10) :
	    TIMEOUT_DEFAULT;
	a->line = sec->line;
	if (effective(p, sec, K_AUTH, NULL) == NULL &&
	    (a->auth = xstrdup("auto", res)) == NULL)
		return -1;
	if (dup_opt(&a->name, sec->name, res) == -1 ||
	    dup_opt(&a->file, p->path, res) == -1 ||
	    dup_opt(&a->host, effective(p, sec, K_HOST, NULL), res) == -1 ||
	    dup_opt(&a->user, effective(p, sec, K_USER, NULL), res) == -1 ||
	    dup_opt(&a->from, effective(p, sec, K_FROM, NULL), res) == -1 ||
	    dup_opt(&a->auth, effective(p, sec, K_AUTH, NULL), res) == -1 ||
	    dup_opt(&a->tls_trust_file, effective(p, sec, K_TRUST, NULL),
	    res) == -1 ||
	    dup_opt(&a->domain, effective(p, sec, K_DOMAIN, NULL), res) == -1 ||
	    dup_opt(&a->password_command, effective(p, sec, K_PWCMD, NULL),
	    res) == -1 ||
	    dup_opt(&a->password, effective(p, sec, K_PW, NULL), res) == -1 ||
	    dup_opt(&a->qualify_domain, effective(p, sec, K_QUALIFY, NULL),
	    res) == -1 ||
	    dup_opt(&a->aliases, effective(p, sec, K_ALIASES, NULL), res) == -1 ||
	    dup_opt(&a->tls_fingerprint, effective(p, sec, K_FPR, NULL),
	    res) == -1 ||
	    dup_opt(&a->tls_cert_file, effective(p, sec, K_CERT, NULL),
	    res) == -1 ||
	    dup_opt(&a->tls_key_file, effective(p, sec, K_KEY, NULL), res) == -1 ||
	    dup_opt(&a->authzid, effective(p, sec, K_AUTHZID, NULL), res) == -1 ||
	    dup_opt(&a->queue_dir, effective(p, sec, K_QDIR, NULL), res) == -1)
		return -1;
	return build_oauth2(a, p, sec, res);
}

static int
build(struct config *cfg, const struct parse *p, struct result *res)
{
	const char	*def;
	size_t		 i;

	if (p->nsects == 0)
		return result_fail(res, EX_CONFIG, "%s: no account; add a "
		    "section such as [name] with host = ...", p->path);
	def = p->defaults.val[K_DEFAULT];
	if (def != NULL && section_find(p, def, strlen(def)) == NULL)
		return result_fail(res, EX_CONFIG, "%s:%d: default_account "
		    "'%s': no such account", p->path,
		    p->defaults.vline[K_DEFAULT], def);
	if ((cfg->accounts = xcalloc(p->nsects, sizeof(*cfg->accounts),
	    res)) == NULL)
		return -1;
	for (i = 0; i < p->nsects; i++) {
		cfg->naccounts++;	/* so config_free() sees it */
		if (build_account(&cfg->accounts[i], p, &p->sects[i],
		    res) == -1)
			return -1;
	}
	if (dup_opt(&cfg->default_account, def, res) == -1 ||
	    dup_opt(&cfg->path, p->path, res) == -1)
		return -1;
	return 0;
}

static void
parse_free(struct parse *p)
{
	size_t	 i;

	for (i = 0; i < p->nsects; i++)
		section_free(&p->sects[i]);
	free(p->sects);
	section_free(&p->defaults);
	explicit_bzero(p->buf, sizeof(p->buf));
}

/* Read the open file fd (which this closes) into cfg. */
static int
load_fd(struct config *cfg, const char *path, int fd, struct result *res)
{
	struct parse	 p;
	char		*iobuf;
	int		 rv = -1;

	memset(&p, 0, sizeof(p));
	p.path = path;
	/* Our own stdio buffer: it holds the file (passwords too), and is
	 * wiped before it is freed. */
	if ((iobuf = xmalloc(CONFIG_IOBUF, res)) == NULL) {
		close(fd);
		return -1;
	}
	if ((p.fp = fdopen(fd, "r")) == NULL) {
		close(fd);
		free(iobuf);
		return result_fail(res, EX_OSERR, "%s: %s", path,
		    strerror(errno));
	}
	setvbuf(p.fp, iobuf, _IOFBF, CONFIG_IOBUF);
	if (parse_file(&p, res) == 0 && check_perms(&p, fd, res) == 0 &&
	    build(cfg, &p, res) == 0)
		rv = 0;
	fclose(p.fp);
	explicit_bzero(iobuf, CONFIG_IOBUF);
	free(iobuf);
	parse_free(&p);
	return rv;
}

/* 0 and *fdp; 1 when missing and missing_ok; -1 with the error in res. */
static int
open_config(const char *path, int missing_ok, int *fdp, struct result *res)
{
	struct stat	 st;
	int		 fd, saved;

	/* O_NONBLOCK: a FIFO named by -C must not hang us. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd == -1 && missing_ok && (errno == ENOENT || errno == ENOTDIR))
		return 1;
	if (fd == -1 || fstat(fd, &st) == -1) {
		saved = errno;
		if (fd != -1)
			close(fd);
		return result_fail(res, EX_CONFIG, "cannot open %s: %s", path,
		    strerror(saved));
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return result_fail(res, EX_CONFIG, "cannot open %s: not a "
		    "regular file", path);
	}
	*fdp = fd;
	return 0;
}

/* $XDG_CONFIG_HOME/stamp/stamp.ini, or ~/.config/stamp/stamp.ini. */
static char *
user_config(struct result *res)
{
	const char	*dir, *home;
	struct passwd	*pw;
	char		*cfgdir, *path;

	dir = getenv("XDG_CONFIG_HOME");
	if (dir != NULL && dir[0] == '/')	/* relative: ignore (XDG) */
		return str_join(dir, strlen(dir), '/', USER_CONFIG, res);
	home = getenv("HOME");
	if ((home == NULL || home[0] == '\0') &&
	    (pw = getpwuid(getuid())) != NULL)
		home = pw->pw_dir;
	if (home == NULL || home[0] == '\0')
		return NULL;
	if ((cfgdir = str_join(home, strlen(home), '/', ".config",
	    res)) == NULL)
		return NULL;
	path = str_join(cfgdir, strlen(cfgdir), '/', USER_CONFIG, res);
	free(cfgdir);
	return path;
}

/*
 * Open the first file of the search order into *pathp and *fdp.  A
 * missing file is skipped; one that exists but cannot be read is an error.
 */
static int
find_config(char **pathp, int *fdp, struct result *res)
{
	char	*try[2] = { NULL, NULL };
	size_t	 n = 0, i;
	int	 rv = -1;

	if ((try[n] = user_config(res)) != NULL)
		n++;
	else if (res->set)
		goto out;
	if ((try[n] = xstrdup(SYSTEM_CONFIG, res)) == NULL)
		goto out;
	n++;
	for (i = 0, rv = 1; i < n && rv == 1; i++)
		if ((rv = open_config(try[i], 1, fdp, res)) == 0) {
			*pathp = try[i];
			try[i] = NULL;
		}
	if (rv == 1)
		rv = result_fail(res, EX_CONFIG, "no configuration file (tried "
		    "%s%s%s); create one (see stamp.ini(5)) or give -C FILE",
		    try[0], n > 1 ? ", " : "", n > 1 ? try[1] : "");
out:
	free(try[0]);
	free(try[1]);
	return rv;
}

int
config_load(struct config *cfg, const char *explicit_path, struct result *res)
{
	char	*path = NULL;
	int	 fd, rv;

	memset(cfg, 0, sizeof(*cfg));
	if (explicit_path != NULL) {
		if (open_config(explicit_path, 0, &fd, res) == -1)
			return -1;
		if ((path = xstrdup(explicit_path, res)) == NULL) {
			close(fd);
			return -1;
		}
	} else if (find_config(&path, &fd, res) == -1)
		return -1;
	rv = load_fd(cfg, path, fd, res);
	free(path);
	if (rv == -1)
		config_free(cfg);
	return rv;
}

static const struct account *
find_account(const struct config *cfg, const char *name)
{
	size_t	 i;

	for (i = 0; i < cfg->naccounts; i++)
		if (strcmp(cfg->accounts[i].name, name) == 0)
			return &cfg->accounts[i];
	return NULL;
}

int
config_is_pattern(const char *from)
{
	return strpbrk(from, "*?[") != NULL;
}

static int
match_one(const char *from, const char *s)
{
	if (config_is_pattern(from))
		return fnmatch(from, s, FNM_CASEFOLD) == 0;
	return strcasecmp(from, s) == 0;
}

int
config_from_matches(const char *from, const char *sender)
{
	char		 base[CONFIG_LINE_MAX + 1];
	const char	*plus, *at;
	size_t		 n = strlen(sender);

	/* "-f '<a@b>'" is a common spelling of "-f a@b". */
	if (n >= 2 && sender[0] == '<' && sender[n - 1] == '>') {
		if (n - 2 >= sizeof(base))
			return 0;
		memcpy(base, sender + 1, n - 2);
		base[n - 2] = '\0';
		return config_from_matches(from, base);
	}
	if (match_one(from, sender))
		return 1;
	/* joe+lists@example.org is joe@example.org's too (subaddress). */
	if ((at = strrchr(sender, '@')) == NULL ||
	    (plus = memchr(sender, '+', (size_t)(at - sender))) == NULL ||
	    plus == sender || n >= sizeof(base))
		return 0;
	memcpy(base, sender, (size_t)(plus - sender));
	memcpy(base + (plus - sender), at, n - (size_t)(at - sender) + 1);
	return match_one(from, base);
}

/* The account whose from matches sender: the default one first. */
static const struct account *
match_sender(const struct config *cfg, const char *sender)
{
	const struct account	*a = NULL;
	size_t			 i;

	if (cfg->default_account != NULL)
		a = find_account(cfg, cfg->default_account);
	if (a != NULL && a->from != NULL && config_from_matches(a->from,
	    sender))
		return a;
	for (i = 0; i < cfg->naccounts; i++) {
		a = &cfg->accounts[i];
		if (a->from != NULL && config_from_matches(a->from, sender))
			return a;
	}
	return NULL;
}

const struct account *
config_choose(const struct config *cfg, const char *name,
    const char *sender, struct result *res)
{
	const struct account	*a;

	if (name != NULL) {
		if ((a = find_account(cfg, name)) == NULL)
			result_fail(res, EX_CONFIG, "no account '%s' in %s",
			    name, cfg->path);
		return a;
	}
	if (sender != NULL && (a = match_sender(cfg, sender)) != NULL)
		return a;
	if (cfg->default_account != NULL) {
		if ((a = find_account(cfg, cfg->default_account)) == NULL)
			result_fail(res, EX_CONFIG, "default_account '%s' is "
			    "not an account in %s", cfg->default_account,
			    cfg->path);
		return a;
	}
	if (cfg->naccounts == 1)
		return &cfg->accounts[0];
	if (cfg->naccounts == 0)
		result_fail(res, EX_CONFIG, "%s has no account", cfg->path);
	else
		result_fail(res, EX_CONFIG, "%s has several accounts and no "
		    "default_account; pick one with -a", cfg->path);
	return NULL;
}

static void
wipe_free(char *s)
{
	if (s != NULL)
		explicit_bzero(s, strlen(s));
	free(s);
}

static void
account_free(struct account *a)
{
	free(a->name);
	free(a->host);
	free(a->user);
	free(a->from);
	free(a->auth);
	free(a->tls_trust_file);
	free(a->domain);
	wipe_free(a->password_command);
	wipe_free(a->password);
	free(a->qualify_domain);
	free(a->aliases);
	free(a->tls_fingerprint);
	free(a->tls_cert_file);
	free(a->tls_key_file);
	free(a->authzid);
	free(a->queue_dir);
	free(a->oauth2_provider);
	free(a->oauth2_client_id);
	wipe_free(a->oauth2_client_secret);
	free(a->oauth2_scope);
	free(a->oauth2_token_endpoint);
	free(a->oauth2_authorize_endpoint);
	free(a->oauth2_device_endpoint);
	free(a->file);
	memset(a, 0, sizeof(*a));
}

int
config_needs_password(const struct account *a)
{
	/* AUTH EXTERNAL: the client certificate authenticates. */
	return a->user != NULL && (a->auth == NULL ||
	    strcmp(a->auth, "external") != 0);
}

void
config_free(struct config *cfg)
{
	size_t	 i;

	for (i = 0; i < cfg->naccounts; i++)
		account_free(&cfg->accounts[i]);
	free(cfg->accounts);
	free(cfg->default_account);
	free(cfg->path);
	memset(cfg, 0, sizeof(*cfg));
}
