/*
 * secret.c - the account's password (secret.h).
 *
 * The password lives in one page-aligned buffer that is mlock'd when the
 * limits allow and wiped before it is freed.  password_command's output
 * is read straight into that buffer.  The Secret Service is keyring.c's
 * (which copies into a buffer from secret_alloc): here only the account's
 * item and the words of its errors.
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
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "keyring.h"
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
#define MSMTP_SCHEMA	"de.marlam.msmtp.password"	/* msmtp's items */
#define SECRET_LABEL_MAX 512	/* the item's label */

extern char **environ;

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

/*
 * Our controlling terminal, open, if our process group is in its
 * foreground (so the command can have it while it runs); else -1.
 */
static int
foreground_tty(void)
{
	int	 fd;

	if ((fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)) == -1)
		return -1;
	if (tcgetpgrp(fd) != getpgrp()) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Take the terminal back from the command's process group. */
static void
tty_restore(int tty)
{
	sigset_t	 ttou, old;

	if (tty == -1)
		return;
	/* tcsetpgrp from a background group would stop us with SIGTTOU. */
	sigemptyset(&ttou);
	sigaddset(&ttou, SIGTTOU);
	sigprocmask(SIG_BLOCK, &ttou, &old);
	(void)tcsetpgrp(tty, getpgrp());
	sigprocmask(SIG_SETMASK, &old, NULL);
	close(tty);
}

/*
 * sh -c cmd, stdin from /dev/null, stdout and stderr to the pipes, in a
 * process group of its own, so that a timeout kills what it started too
 * (sh -c 'helper &' ...).  When we had the terminal's foreground, the
 * group gets it (tty != -1): a command that asks on /dev/tty still can,
 * and ^C reaches it.
 */
static int
spawn_sh(const char *cmd, int out, int err, int tty, pid_t *pid,
    struct result *res)
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
#if __GLIBC_PREREQ(2, 35)
	/* After setpgid, before closefrom (which would close tty). */
	if (tty != -1)
		posix_spawn_file_actions_addtcsetpgrp_np(&fa, tty);
#else
	(void)tty;
#endif
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
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP);
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

#define REAP_STEP_MS	10	/* how often a lingering command is looked at */

/*
 * Wait for pid until deadline (ms, now_ms(); -1: for ever): its output
 * closed is not its end, and a command that closes both and lingers must
 * not hold us past the timeout.  1 reaped (status filled), 0 still
 * running at the deadline, -1 error (errno).
 */
static int
reap(pid_t pid, int *status, long long deadline)
{
	struct timespec	 step = { 0, REAP_STEP_MS * 1000000L };
	pid_t		 r;

	for (;;) {
		r = waitpid(pid, status, deadline == -1 ? 0 : WNOHANG);
		if (r == pid)
			return 1;
		if (r == -1 && errno != EINTR)
			return -1;
		if (r == 0 && now_ms() >= deadline)
			return 0;
		if (r == 0)
			(void)nanosleep(&step, NULL);
	}
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
	int		 status, timedout, reaped, rv = -1, tty = -1;
	long long	 deadline;
	pid_t		 pid;

	memset(&c, 0, sizeof(c));
	if (pipe2(out, O_CLOEXEC) == -1 || pipe2(err, O_CLOEXEC) == -1) {
		result_fail(res, EX_OSERR, "password_command: pipe: %s",
		    strerror(errno));
		goto out;
	}
	tty = foreground_tty();
	if (spawn_sh(a->password_command, out[1], err[1], tty, &pid,
	    res) == -1)
		goto out;
	close_fd(&out[1]);
	close_fd(&err[1]);
	c.out = out[0];
	c.err = err[0];
	out[0] = err[0] = -1;
	/* A command that never ends (a prompt nobody sees under cron) must
	 * not hang stamp: it gets the account's timeout, then SIGKILL, and
	 * so does everything in its process group (what it started). */
	deadline = now_ms() + a->timeout * 1000LL;
	reaped = collect(&c, s, deadline) == -1 ? 0 :
	    reap(pid, &status, deadline);
	if ((timedout = reaped == 0)) {
		kill(-pid, SIGKILL);
		reaped = reap(pid, &status, -1);
	}
	if (reaped == -1) {
		result_fail(res, EX_OSERR, "password_command: waitpid: %s",
		    strerror(errno));
		goto out;
	}
	if (timedout)
		result_fail(res, EX_TEMPFAIL, "password_command did not finish "
		    "within %d s (timeout = in the account)", a->timeout);
	else
		rv = judge(status, &c, s, res);
out:
	tty_restore(tty);
	close_fd(&out[0]);
	close_fd(&out[1]);
	close_fd(&err[0]);
	close_fd(&err[1]);
	return rv;
}

/*
 * The account's Secret Service item: host, service=smtp, user, under
 * msmtp's schema (what msmtp stores and looks for), and the account's
 * words for the errors.
 */
struct acct_item {
	const char	*attrs[9];
	char		 what[SECRET_LABEL_MAX];	/* user@host */
	char		 hint[SECRET_LABEL_MAX];
	struct keyring_ctx k;
};

static void
acct_item(const struct account *a, struct acct_item *it)
{
	const char	*attrs[] = { "xdg:schema", MSMTP_SCHEMA, "host",
	    a->host, "service", SERVICE, "user", a->user, NULL };

	memcpy(it->attrs, attrs, sizeof(it->attrs));
	snprintf(it->what, sizeof(it->what), "%s@%s", a->user, a->host);
	snprintf(it->hint, sizeof(it->hint), "; set password_command or "
	    "password for account '%s' in %s, or run stamp inside a session "
	    "with a D-Bus session bus", a->name, a->file != NULL ? a->file :
	    "the configuration");
	it->k.kind = "the password";
	it->k.what = it->what;
	it->k.hint = it->hint;
	it->k.wait_s = a->timeout > 0 && a->timeout < KEYRING_WAIT_MAX ?
	    a->timeout : KEYRING_WAIT_MAX;
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
	struct acct_item it;
	int	 rv;

	if (a->user == NULL)
		return no_user(a, res);
	acct_item(a, &it);
	if ((rv = keyring_lookup(it.attrs, s, &it.k, res)) == 1)
		return 0;
	if (rv == 0)
		result_fail(res, EX_CONFIG, "no password for %s@%s in the "
		    "Secret Service; store one with: stamp --password set %s",
		    a->user, a->host, a->name);
	return -1;
}

int
secret_ready(const struct account *a, struct result *res)
{
	struct acct_item it;

	if (a->user == NULL)
		return no_user(a, res);
	acct_item(a, &it);
	return keyring_ready(it.attrs, &it.k, res);
}

int
secret_store(const struct account *a, const char *pw, size_t len,
    struct result *res)
{
	struct acct_item it;
	char	 label[SECRET_LABEL_MAX];

	if (a->user == NULL)
		return no_user(a, res);
	acct_item(a, &it);
	snprintf(label, sizeof(label), "SMTP password for %s@%s (stamp, "
	    "msmtp)", a->user, a->host);
	return keyring_store(it.attrs, label, pw, len, &it.k, res);
}

int
secret_clear(const struct account *a, int *removed, struct result *res)
{
	struct acct_item it;
	int	 n;

	*removed = 0;
	if (a->user == NULL)
		return no_user(a, res);
	acct_item(a, &it);
	if ((n = keyring_clear(it.attrs, &it.k, res)) == -1)
		return -1;
	*removed = n;
	return 0;
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
		secret_wipe(s);		/* keyring_lookup allocates its own */
		rv = lookup(a, s, res);
	}
	if (rv == -1)
		secret_wipe(s);
	return rv;
}
