/*
 * secret.c - the account's password (secret.h).
 *
 * The password lives in one page-aligned buffer that is mlock'd when the
 * limits allow and wiped before it is freed.  password_command's output
 * is read straight into that buffer; libsecret's copy (a SecretValue in
 * its "secure memory" allocator) is dropped with secret_value_unref() as
 * soon as it has been copied.
 */
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libsecret/secret.h>

#include "config.h"
#include "result.h"
#include "secret.h"
#include "util.h"

#define SECRET_PAGE	4096
/* The password, a CRLF, one more byte to see that there is more, NUL. */
#define SECRET_READ	(SECRET_MAX + 3)
#define SECRET_BUFSZ	((SECRET_READ + 1 + SECRET_PAGE - 1) / SECRET_PAGE * \
			    SECRET_PAGE)
#define ERRLINE_MAX	256	/* what we keep of password_command's stderr */
#define SHELL		"/bin/sh"
#define SERVICE		"smtp"	/* msmtp's "service" attribute */
#define SS_WAIT_MAX	25	/* s per Secret Service call (D-Bus's own) */
#define SS_GRACE_MS	1000	/* for a cancelled call to return */
#define SECRET_LABEL_MAX 512	/* the item's label */

extern char **environ;

/* msmtp's schema; DONT_MATCH_NAME also finds secret-tool's entries. */
static const SecretSchema msmtp_schema = {
	.name = "de.marlam.msmtp.password",
	.flags = SECRET_SCHEMA_DONT_MATCH_NAME,
	.attributes = {
		{ "host", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ "user", SECRET_SCHEMA_ATTRIBUTE_STRING },
		{ NULL, 0 },
	},
};

/* The child's two output pipes as the parent reads them. */
struct child_out {
	int	 out;			/* stdout -> the secret */
	int	 err;			/* stderr -> errbuf */
	char	 errbuf[ERRLINE_MAX];
	size_t	 errlen;
};

int
secret_alloc(struct secret *s, struct result *res)
{
	s->source = NULL;
	if ((s->buf = aligned_alloc(SECRET_PAGE, SECRET_BUFSZ)) == NULL)
		return result_fail(res, EX_OSERR, "out of memory");
	/* Keep it out of swap if RLIMIT_MEMLOCK allows; no reason to stop. */
	(void)mlock(s->buf, SECRET_BUFSZ);
	s->buf[0] = '\0';
	s->len = 0;
	return 0;
}

/* buf comes from secret_alloc(): the whole buffer is wiped. */
void
secret_wipe(struct secret *s)
{
	if (s->buf != NULL) {
		explicit_bzero(s->buf, SECRET_BUFSZ);
		(void)munlock(s->buf, SECRET_BUFSZ);
		free(s->buf);
	}
	s->buf = NULL;
	s->len = 0;
	s->source = NULL;
}

static int
copy_in(struct secret *s, const char *pw, struct result *res)
{
	size_t	 len = strlen(pw);

	if (len > SECRET_MAX)
		return result_fail(res, EX_CONFIG, "%s: password longer than "
		    "%d bytes", s->source, SECRET_MAX);
	memcpy(s->buf, pw, len + 1);
	s->len = len;
	return 0;
}

/* sh -c cmd, stdin from /dev/null, stdout and stderr to the pipes. */
static int
spawn_sh(const char *cmd, int out, int err, pid_t *pid, struct result *res)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t	 none, dfl;
	char		*argv[] = { "sh", "-c", NULL, NULL };
	int		 e;

	if ((argv[2] = xstrdup(cmd, res)) == NULL)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out, 1);
	posix_spawn_file_actions_adddup2(&fa, err, 2);
#if __GLIBC_PREREQ(2, 34)
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
	/* A SIGPIPE we ignore would otherwise stay ignored in the child. */
	posix_spawnattr_init(&attr);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &dfl);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF);
	e = posix_spawn(pid, SHELL, &fa, &attr, argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	explicit_bzero(argv[2], strlen(argv[2]));
	free(argv[2]);
	if (e != 0)
		return result_fail(res, EX_OSERR, "password_command: cannot "
		    "run " SHELL ": %s", strerror(e));
	return 0;
}

/* One read from fd into buf; 0 when fd is done (EOF or error). */
static ssize_t
read_some(int fd, char *buf, size_t n)
{
	ssize_t	 r;

	while ((r = read(fd, buf, n)) == -1 && errno == EINTR)
		continue;
	return r < 0 ? 0 : r;
}

static void
close_fd(int *fd)
{
	if (*fd != -1)
		close(*fd);
	*fd = -1;
}

/*
 * Read stdout into the secret and the start of stderr until both end,
 * or until the deadline passes (returns -1 then).  Past SECRET_READ
 * stdout is closed (the command then gets SIGPIPE); stderr past
 * ERRLINE_MAX is read and dropped.
 */
static int
collect(struct child_out *c, struct secret *s, long long deadline)
{
	struct pollfd	 pfd[2];
	char		 junk[512];
	size_t		 room;
	ssize_t		 n;
	int		 ms, timedout = 0;

	while (c->out != -1 || c->err != -1) {
		pfd[0].fd = c->out;
		pfd[1].fd = c->err;
		pfd[0].events = pfd[1].events = POLLIN;
		if ((ms = (int)(deadline - now_ms())) <= 0) {
			timedout = 1;
			break;
		}
		if ((n = poll(pfd, 2, ms)) <= 0) {
			if (n == -1 && errno == EINTR)
				continue;
			timedout = n == 0;
			break;
		}
		if (pfd[0].revents != 0) {
			n = read_some(c->out, s->buf + s->len,
			    SECRET_READ - s->len);
			s->len += (size_t)n;
			if (n == 0 || s->len == SECRET_READ)
				close_fd(&c->out);
		}
		if (pfd[1].revents != 0) {
			room = sizeof(c->errbuf) - 1 - c->errlen;
			n = room > 0 ?
			    read_some(c->err, c->errbuf + c->errlen, room) :
			    read_some(c->err, junk, sizeof(junk));
			c->errlen += room > 0 ? (size_t)n : 0;
			if (n == 0)
				close_fd(&c->err);
		}
	}
	close_fd(&c->out);
	close_fd(&c->err);
	c->errbuf[c->errlen] = '\0';
	c->errbuf[strcspn(c->errbuf, "\r\n")] = '\0';	/* the first line */
	return timedout ? -1 : 0;
}

/* Drop one trailing LF or CRLF, wiping it. */
static void
strip_newline(struct secret *s)
{
	size_t	 n = 0;

	if (s->len >= 1 && s->buf[s->len - 1] == '\n')
		n = s->len >= 2 && s->buf[s->len - 2] == '\r' ? 2 : 1;
	explicit_bzero(s->buf + s->len - n, n);
	s->len -= n;
	s->buf[s->len] = '\0';
}

/* Decide on the command's exit status and output. */
static int
judge(int status, struct child_out *c, struct secret *s, struct result *res)
{
	const char	*sep = c->errbuf[0] != '\0' ? ": " : "";

	if (s->len == SECRET_READ)
		return result_fail(res, EX_CONFIG, "password_command printed "
		    "more than %d bytes", SECRET_MAX);
	if (WIFSIGNALED(status))
		return result_fail(res, EX_CONFIG, "password_command killed by "
		    "signal %d%s%s", WTERMSIG(status), sep, c->errbuf);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return result_fail(res, EX_CONFIG, "password_command failed "
		    "(exit status %d)%s%s", WEXITSTATUS(status), sep,
		    c->errbuf);
	strip_newline(s);
	if (s->len == 0)
		return result_fail(res, EX_CONFIG, "password_command printed "
		    "nothing");
	if (s->len > SECRET_MAX)
		return result_fail(res, EX_CONFIG, "password_command printed "
		    "more than %d bytes", SECRET_MAX);
	if (memchr(s->buf, '\0', s->len) != NULL)
		return result_fail(res, EX_CONFIG, "password_command printed "
		    "a NUL byte");
	return 0;
}

static int
run_command(const struct account *a, struct secret *s, struct result *res)
{
	struct child_out c;
	int		 out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int		 status, timedout, rv = -1;
	pid_t		 pid;

	memset(&c, 0, sizeof(c));
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1) {
		result_fail(res, EX_OSERR, "password_command: pipe: %s",
		    strerror(errno));
		goto out;
	}
	if (spawn_sh(a->password_command, out[1], err[1], &pid, res) == -1)
		goto out;
	close_fd(&out[1]);
	close_fd(&err[1]);
	c.out = out[0];
	c.err = err[0];
	out[0] = err[0] = -1;
	/* A command that never ends (a prompt nobody sees under cron) must
	 * not hang stamp: it gets the account's timeout, then SIGKILL. */
	if ((timedout = collect(&c, s, now_ms() + a->timeout * 1000LL) == -1))
		kill(pid, SIGKILL);
	while (waitpid(pid, &status, 0) == -1)
		if (errno != EINTR) {
			result_fail(res, EX_OSERR, "password_command: waitpid: "
			    "%s", strerror(errno));
			goto out;
		}
	if (timedout)
		result_fail(res, EX_TEMPFAIL, "password_command did not finish "
		    "within %d s (timeout = in the account)", a->timeout);
	else
		rv = judge(status, &c, s, res);
out:
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	return rv;
}

/*
 * The Secret Service, through libsecret's asynchronous calls on our own
 * main loop: each call gets a deadline and is cancelled past it, so a
 * session bus that accepts but never answers cannot hang stamp.  Never
 * SECRET_SEARCH_UNLOCK: an unlock prompt nobody sees (cron, ssh) must
 * not stall us; a locked item is reported as such.
 */
struct sscall {
	GCancellable	*cancel;
	GAsyncResult	*ar;		/* the call's result, once done */
	GSource		*timer;		/* the deadline */
	GSource		*grace;		/* after it, for the cancellation */
	int		 timedout;	/* cancelled at the deadline */
	int		 abandoned;	/* cancelled, and still no answer */
};

static void
sscall_done(GObject *src, GAsyncResult *ar, gpointer p)
{
	struct sscall	*c = p;

	(void)src;
	c->ar = g_object_ref(ar);
}

static gboolean
sscall_abandon(gpointer p)
{
	struct sscall	*c = p;

	c->abandoned = 1;
	return G_SOURCE_REMOVE;
}

/* At the deadline: cancel, then give the call SS_GRACE_MS to return. */
static gboolean
sscall_timer(gpointer p)
{
	struct sscall	*c = p;

	c->timedout = 1;
	g_cancellable_cancel(c->cancel);
	c->grace = g_timeout_source_new(SS_GRACE_MS);
	g_source_set_callback(c->grace, sscall_abandon, c, NULL);
	g_source_attach(c->grace, NULL);
	return G_SOURCE_REMOVE;
}

/* A call context that expires at deadline (now_ms() clock). */
static struct sscall *
sscall_new(long long deadline)
{
	struct sscall	*c = g_new0(struct sscall, 1);
	long long	 ms = deadline - now_ms();

	c->cancel = g_cancellable_new();
	c->timer = g_timeout_source_new(ms > 0 ? (guint)ms : 0);
	g_source_set_callback(c->timer, sscall_timer, c, NULL);
	g_source_attach(c->timer, NULL);
	return c;
}

/*
 * Wait for the call to end.  Its result, or NULL when it was abandoned:
 * then c is leaked on purpose (a late callback may still write to it).
 */
static GAsyncResult *
sscall_wait(struct sscall *c)
{
	while (c->ar == NULL && !c->abandoned)
		g_main_context_iteration(NULL, TRUE);
	g_source_destroy(c->timer);
	if (c->grace != NULL)
		g_source_destroy(c->grace);
	return c->ar;
}

static void
sscall_free(struct sscall *c)
{
	if (c == NULL || c->ar == NULL)
		return;			/* abandoned: see sscall_wait */
	g_source_unref(c->timer);
	if (c->grace != NULL)
		g_source_unref(c->grace);
	g_object_unref(c->cancel);
	g_object_unref(c->ar);
	g_free(c);
}

/* What to do about it, after each kind of "not reachable". */
static int
unreachable(const struct account *a, struct result *res, const char *why,
    const char *detail)
{
	return result_fail(res, EX_CONFIG, "Secret Service not reachable: "
	    "%s%s%s%s; set password_command or password for account '%s' in "
	    "%s, or run stamp inside a session with a D-Bus session bus",
	    why, detail[0] != '\0' ? " (" : "", detail,
	    detail[0] != '\0' ? ")" : "", a->name,
	    a->file != NULL ? a->file : "the configuration");
}

/*
 * A failed call: say which of the cases it is.  e may be NULL after a
 * timeout.  GLib's words go in parentheses, without its D-Bus prefix.
 */
static int
service_error(const struct account *a, GError *e, int timedout, int wait_s,
    struct result *res)
{
	const char	*bus = getenv("DBUS_SESSION_BUS_ADDRESS");
	char		 why[96];

	if (e != NULL)
		g_dbus_error_strip_remote_error(e);
	if (bus == NULL || bus[0] == '\0')
		return unreachable(a, res, "no D-Bus session bus "
		    "(DBUS_SESSION_BUS_ADDRESS is not set, as under cron or "
		    "ssh)", "");
	if (timedout || e == NULL) {
		snprintf(why, sizeof(why), "no answer on the D-Bus session "
		    "bus within %d s", wait_s);
		return unreachable(a, res, why, "");
	}
	if (g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches(e, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
		return unreachable(a, res, "nothing on the D-Bus session bus "
		    "provides it (no gnome-keyring-daemon, KeePassXC, ...)",
		    e->message);
	if (e->domain == G_IO_ERROR)
		return unreachable(a, res, "cannot connect to the D-Bus "
		    "session bus", e->message);
	return result_fail(res, EX_CONFIG, "Secret Service error: %s",
	    e->message);
}

/* How long each Secret Service call may take. */
static int
service_wait(const struct account *a)
{
	return a->timeout > 0 && a->timeout < SS_WAIT_MAX ? a->timeout :
	    SS_WAIT_MAX;
}

static SecretService *
service_get(const struct account *a, struct result *res)
{
	struct sscall	*c = sscall_new(now_ms() + service_wait(a) * 1000LL);
	SecretService	*svc = NULL;
	GError		*e = NULL;

	secret_service_get(SECRET_SERVICE_NONE, c->cancel, sscall_done, c);
	if (sscall_wait(c) != NULL)
		svc = secret_service_get_finish(c->ar, &e);
	if (svc == NULL)
		service_error(a, e, c->timedout, service_wait(a), res);
	g_clear_error(&e);
	sscall_free(c);
	return svc;
}

/* host, service=smtp, user: what msmtp stores and looks for. */
static GHashTable *
attributes(const struct account *a)
{
	GHashTable	*h = g_hash_table_new(g_str_hash, g_str_equal);

	g_hash_table_insert(h, "host", a->host);
	g_hash_table_insert(h, "service", SERVICE);
	g_hash_table_insert(h, "user", a->user);
	return h;
}

/*
 * Every item for the account, locked or not (secrets loaded for the
 * unlocked ones when load).  0 with *items (maybe NULL: none), or -1.
 */
static int
search(SecretService *svc, const struct account *a, int load, GList **items,
    struct result *res)
{
	struct sscall	*c = sscall_new(now_ms() + service_wait(a) * 1000LL);
	GHashTable	*attrs = attributes(a);
	GError		*e = NULL;
	int		 rv = 0;

	*items = NULL;
	secret_service_search(svc, &msmtp_schema, attrs, SECRET_SEARCH_ALL |
	    (load ? SECRET_SEARCH_LOAD_SECRETS : 0), c->cancel, sscall_done,
	    c);
	if (sscall_wait(c) != NULL)
		*items = secret_service_search_finish(svc, c->ar, &e);
	if (c->ar == NULL || e != NULL)
		rv = service_error(a, e, c->timedout, service_wait(a), res);
	g_clear_error(&e);
	g_hash_table_unref(attrs);
	sscall_free(c);
	return rv;
}

static void
items_free(GList *items)
{
	g_list_free_full(items, g_object_unref);
}

static int
locked(const struct account *a, struct result *res)
{
	return result_fail(res, EX_CONFIG, "the Secret Service keyring that "
	    "holds the password for %s@%s is locked, and stamp does not "
	    "prompt to unlock it; unlock it (a desktop login does) and try "
	    "again", a->user, a->host);
}

static int
no_entry(const struct account *a, struct result *res)
{
	return result_fail(res, EX_CONFIG, "no password for %s@%s in the "
	    "Secret Service; store one with: stamp --password set %s",
	    a->user, a->host, a->name);
}

/* The first unlocked item's secret; else why there is none. */
static int
take_secret(const struct account *a, GList *items, struct secret *s,
    struct result *res)
{
	SecretValue	*v;
	const gchar	*pw;
	gsize		 len;
	GList		*i;
	int		 rv;

	for (i = items; i != NULL; i = i->next) {
		if (secret_item_get_locked(i->data) ||
		    (v = secret_item_get_secret(i->data)) == NULL)
			continue;
		pw = secret_value_get(v, &len);
		/* No NUL inside, so copy_in's strlen() is len. */
		if (memchr(pw, '\0', len) != NULL)
			rv = result_fail(res, EX_CONFIG, "the Secret Service "
			    "entry for %s@%s holds a NUL byte", a->user,
			    a->host);
		else
			rv = copy_in(s, pw, res);
		secret_value_unref(v);
		return rv;
	}
	return items != NULL ? locked(a, res) : no_entry(a, res);
}

static int
no_user(const struct account *a, struct result *res)
{
	return result_fail(res, EX_CONFIG, "account '%s' has no user, so it "
	    "has no password (add user = to it in %s)", a->name,
	    a->file != NULL ? a->file : "the configuration");
}

static int
lookup(const struct account *a, struct secret *s, struct result *res)
{
	SecretService	*svc;
	GList		*items;
	int		 rv = -1;

	if (a->user == NULL)
		return no_user(a, res);
	if ((svc = service_get(a, res)) == NULL)
		return -1;
	if (search(svc, a, 1, &items, res) == 0)
		rv = take_secret(a, items, s, res);
	items_free(items);
	g_object_unref(svc);
	return rv;
}

static int
check_unlocked(const struct account *a, GList *items, struct result *res)
{
	GList	*i;

	for (i = items; i != NULL; i = i->next)
		if (secret_item_get_locked(i->data))
			return locked(a, res);
	return 0;
}

/* The default collection, unlocked: where a new item goes. */
static int
check_default(SecretService *svc, const struct account *a,
    struct result *res)
{
	struct sscall	*c = sscall_new(now_ms() + service_wait(a) * 1000LL);
	SecretCollection *col = NULL;
	GError		*e = NULL;
	int		 rv = -1;

	secret_collection_for_alias(svc, SECRET_COLLECTION_DEFAULT,
	    SECRET_COLLECTION_NONE, c->cancel, sscall_done, c);
	if (sscall_wait(c) != NULL)
		col = secret_collection_for_alias_finish(c->ar, &e);
	if (c->ar == NULL || e != NULL)
		service_error(a, e, c->timedout, service_wait(a), res);
	else if (col == NULL)
		result_fail(res, EX_CONFIG, "the Secret Service has no default "
		    "keyring to store the password in; create one (e.g. with "
		    "seahorse or secret-tool) and try again");
	else if (secret_collection_get_locked(col))
		result_fail(res, EX_CONFIG, "the Secret Service's default "
		    "keyring is locked, and stamp does not prompt to unlock it; "
		    "unlock it (a desktop login does) and try again");
	else
		rv = 0;
	g_clear_error(&e);
	if (col != NULL)
		g_object_unref(col);
	sscall_free(c);
	return rv;
}

static int
item_delete(SecretItem *item, const struct account *a, struct result *res)
{
	struct sscall	*c = sscall_new(now_ms() + service_wait(a) * 1000LL);
	GError		*e = NULL;
	int		 rv = 0;

	secret_item_delete(item, c->cancel, sscall_done, c);
	if (sscall_wait(c) == NULL || !secret_item_delete_finish(item, c->ar,
	    &e))
		rv = service_error(a, e, c->timedout, service_wait(a), res);
	g_clear_error(&e);
	sscall_free(c);
	return rv;
}

/* Is the item stored under our (msmtp's) schema name? */
static int
is_ours(SecretItem *item)
{
	gchar	*name = secret_item_get_schema_name(item);
	int	 ours = name != NULL && strcmp(name, msmtp_schema.name) == 0;

	g_free(name);
	return ours;
}

/* Delete the items (all, or all but ours); *n counts them. */
static int
delete_items(GList *items, int keep_ours, const struct account *a, int *n,
    struct result *res)
{
	GList	*i;

	for (i = items; i != NULL; i = i->next) {
		if (keep_ours && is_ours(i->data))
			continue;
		if (item_delete(i->data, a, res) == -1)
			return -1;
		(*n)++;
	}
	return 0;
}

static int
store_value(SecretService *svc, const struct account *a, const char *pw,
    size_t len, struct result *res)
{
	struct sscall	*c = sscall_new(now_ms() + service_wait(a) * 1000LL);
	GHashTable	*attrs = attributes(a);
	SecretValue	*v = secret_value_new(pw, (gssize)len, "text/plain");
	GError		*e = NULL;
	char		 label[SECRET_LABEL_MAX];
	int		 rv = 0;

	snprintf(label, sizeof(label), "SMTP password for %s@%s (stamp, "
	    "msmtp)", a->user, a->host);
	secret_service_store(svc, &msmtp_schema, attrs,
	    SECRET_COLLECTION_DEFAULT, label, v, c->cancel, sscall_done, c);
	if (sscall_wait(c) == NULL || !secret_service_store_finish(svc, c->ar,
	    &e))
		rv = service_error(a, e, c->timedout, service_wait(a), res);
	g_clear_error(&e);
	secret_value_unref(v);
	g_hash_table_unref(attrs);
	sscall_free(c);
	return rv;
}

int
secret_ready(const struct account *a, struct result *res)
{
	SecretService	*svc;
	GList		*items = NULL;
	int		 rv = -1;

	if (a->user == NULL)
		return no_user(a, res);
	if ((svc = service_get(a, res)) == NULL)
		return -1;
	if (search(svc, a, 0, &items, res) == 0 &&
	    check_unlocked(a, items, res) == 0 &&
	    check_default(svc, a, res) == 0)
		rv = 0;
	items_free(items);
	g_object_unref(svc);
	return rv;
}

int
secret_store(const struct account *a, const char *pw, size_t len,
    struct result *res)
{
	SecretService	*svc;
	GList		*items = NULL;
	int		 n = 0, rv = -1;

	if (a->user == NULL)
		return no_user(a, res);
	if ((svc = service_get(a, res)) == NULL)
		return -1;
	if (search(svc, a, 0, &items, res) == -1 ||
	    check_unlocked(a, items, res) == -1 ||
	    check_default(svc, a, res) == -1 ||
	    store_value(svc, a, pw, len, res) == -1)
		goto out;
	/* Store replaces an item of our schema with the same attributes;
	 * one made by secret-tool (another schema) would be a second entry
	 * that a lookup might pick instead.  Ours is the one. */
	items_free(items);
	if (search(svc, a, 0, &items, res) == 0 &&
	    delete_items(items, 1, a, &n, res) == 0)
		rv = 0;
out:
	items_free(items);
	g_object_unref(svc);
	return rv;
}

int
secret_clear(const struct account *a, int *removed, struct result *res)
{
	SecretService	*svc;
	GList		*items = NULL;
	int		 rv = -1;

	*removed = 0;
	if (a->user == NULL)
		return no_user(a, res);
	if ((svc = service_get(a, res)) == NULL)
		return -1;
	if (search(svc, a, 0, &items, res) == 0 &&
	    check_unlocked(a, items, res) == 0 &&
	    delete_items(items, 0, a, removed, res) == 0)
		rv = 0;
	items_free(items);
	g_object_unref(svc);
	return rv;
}

/*
 * DESIGN.md 7: no core file may hold a secret.  Non-dumpable also keeps
 * the user's other processes from ptrace and /proc/PID/mem; RLIMIT_CORE
 * 0 covers a core_pattern pipe (systemd-coredump honours it) and
 * suid_dumpable = 2, which dump non-dumpable processes anyway.  Never
 * undone: exec (password_command) makes the child dumpable again, but
 * it keeps the limit.
 */
int
secret_protect(struct result *res)
{
	static const struct rlimit none = { 0, 0 };

	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1 ||
	    setrlimit(RLIMIT_CORE, &none) == -1)
		return result_fail(res, EX_OSERR, "cannot disable core dumps: "
		    "%s", strerror(errno));
	return 0;
}

int
secret_get(const struct account *a, struct secret *s, struct result *res)
{
	int	 rv;

	memset(s, 0, sizeof(*s));
	/* Also before config_load, in main.c; again here costs nothing. */
	if (secret_protect(res) == -1 || secret_alloc(s, res) == -1)
		return -1;
	if (a->password_command != NULL) {
		s->source = "password_command";
		rv = run_command(a, s, res);
	} else if (a->password != NULL) {
		s->source = "password";
		rv = copy_in(s, a->password, res);
	} else {
		s->source = "libsecret";
		rv = lookup(a, s, res);
	}
	if (rv == -1)
		secret_wipe(s);
	return rv;
}
