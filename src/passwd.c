/*
 * passwd.c - stamp --password set|clear|check (passwd.h).
 *
 * The terminal: echo off (ECHONL kept, so the Enter still shows) from
 * before the prompt until the line is read.  A fatal signal in between
 * restores the saved modes and then takes its default action; ^Z
 * restores them, stops, and turns echo off again after fg.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "config.h"
#include "passwd.h"
#include "result.h"
#include "secret.h"
#include "smtp.h"
#include "util.h"

/* The terminal whose echo we turned off, for the signal handler. */
static volatile sig_atomic_t	 tty_fd = -1;
static struct termios		 tty_saved, tty_quiet;

static const int tty_signals[] = {
	SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU
};
#define NSIGNALS	(sizeof(tty_signals) / sizeof(tty_signals[0]))

static void	 tty_catch(int);

/* Async-signal-safe: tcsetattr, sigaction, sigprocmask and raise are. */
static void
tty_catch(int sig)
{
	struct sigaction sa;
	sigset_t	 set;
	int		 e = errno;

	if (tty_fd != -1)
		(void)tcsetattr(tty_fd, TCSANOW, &tty_saved);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	(void)sigaction(sig, &sa, NULL);
	sigemptyset(&set);
	sigaddset(&set, sig);
	(void)sigprocmask(SIG_UNBLOCK, &set, NULL);
	(void)raise(sig);
	/* Still here: the signal stopped us (^Z) and we were continued. */
	sa.sa_handler = tty_catch;
	sa.sa_flags = SA_RESTART;
	(void)sigaction(sig, &sa, NULL);
	if (tty_fd != -1)
		(void)tcsetattr(tty_fd, TCSANOW, &tty_quiet);
	errno = e;
}

static void
tty_handlers(int on, struct sigaction *old)
{
	struct sigaction sa;
	size_t		 i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = tty_catch;
	sa.sa_flags = SA_RESTART;	/* a ^Z during tcsetattr: go on */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSIGNALS; i++) {
		if (on)
			(void)sigaction(tty_signals[i], &sa, &old[i]);
		else
			(void)sigaction(tty_signals[i], &old[i], NULL);
	}
}

/*
 * One line from fd into s: up to the LF (dropped, with a CR before it)
 * or EOF.  Byte by byte, so nothing past the line is consumed.
 */
static int
read_line(int fd, struct secret *s, struct result *res)
{
	ssize_t	 n;
	char	 ch;

	s->len = 0;
	for (;;) {
		if ((n = read(fd, &ch, 1)) == -1) {
			if (errno == EINTR)
				continue;
			return result_fail(res, EX_IOERR, "reading the "
			    "password: %s", strerror(errno));
		}
		if (n == 0 || ch == '\n')
			break;
		if (s->len == SECRET_MAX + 1)	/* room for a CR to drop */
			return result_fail(res, EX_DATAERR, "password longer "
			    "than %d bytes", SECRET_MAX);
		s->buf[s->len++] = ch;
	}
	ch = 0;
	if (s->len > 0 && s->buf[s->len - 1] == '\r')
		s->buf[--s->len] = '\0';
	s->buf[s->len] = '\0';
	if (s->len > SECRET_MAX)
		return result_fail(res, EX_DATAERR, "password longer than %d "
		    "bytes", SECRET_MAX);
	if (s->len == 0)
		return result_fail(res, EX_DATAERR, "no password given (an "
		    "empty line or end of input)");
	if (memchr(s->buf, '\0', s->len) != NULL)
		return result_fail(res, EX_DATAERR, "the password has a NUL "
		    "byte");
	return 0;
}

/* Echo off on fd; 0, or -1 with EX_IOERR. */
static int
tty_quiet_on(int fd, struct sigaction *old, struct result *res)
{
	if (tcgetattr(fd, &tty_saved) == -1)
		return result_fail(res, EX_IOERR, "terminal: %s",
		    strerror(errno));
	tty_quiet = tty_saved;
	tty_quiet.c_lflag &= ~(tcflag_t)ECHO;
	tty_quiet.c_lflag |= ECHONL;
	tty_fd = fd;
	tty_handlers(1, old);
	/* TCSAFLUSH: what was typed before the prompt was echoed already. */
	if (tcsetattr(fd, TCSAFLUSH, &tty_quiet) == -1) {
		tty_fd = -1;
		tty_handlers(0, old);
		return result_fail(res, EX_IOERR, "terminal: cannot turn echo "
		    "off: %s", strerror(errno));
	}
	return 0;
}

static void
tty_quiet_off(int fd, struct sigaction *old)
{
	(void)tcsetattr(fd, TCSANOW, &tty_saved);
	tty_fd = -1;
	tty_handlers(0, old);
}

static int
read_tty(const char *prompt, struct secret *s, struct result *res)
{
	struct sigaction old[NSIGNALS];
	int		 out, rv;

	if ((out = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC)) == -1)
		out = STDERR_FILENO;
	if (tty_quiet_on(STDIN_FILENO, old, res) == -1) {
		rv = -1;
		goto out;
	}
	(void)write_all(out, prompt, strlen(prompt));
	rv = read_line(STDIN_FILENO, s, res);
	tty_quiet_off(STDIN_FILENO, old);
out:
	if (out != STDERR_FILENO)
		close(out);
	return rv;
}

int
passwd_read(const struct account *a, struct secret *s, struct result *res)
{
	char	 prompt[PASSWD_PROMPT_MAX];
	int	 rv;

	if (!isatty(STDIN_FILENO))
		rv = read_line(STDIN_FILENO, s, res);
	else {
		snprintf(prompt, sizeof(prompt), "Password for %s@%s: ",
		    a->user, a->host);
		rv = read_tty(prompt, s, res);
	}
	/* A refused line may still be in the buffer: wipe it now. */
	if (rv == -1)
		explicit_bzero(s->buf, SECRET_MAX + 2);
	return rv;
}

/* The account would take its password from elsewhere first. */
static void
warn_shadowed(const struct account *a)
{
	const char	*key = a->password_command != NULL ?
	    "password_command" : a->password != NULL ? "password" : NULL;

	if (key != NULL)
		fprintf(stderr, "stamp: warning: account '%s' sets %s, which "
		    "is used before the Secret Service; remove it from %s to "
		    "use the stored password\n", a->name, key,
		    a->file != NULL ? a->file : "the configuration");
}

int
passwd_set(const struct account *a, struct result *res)
{
	struct secret	 s;
	int		 rv = -1;

	memset(&s, 0, sizeof(s));
	/* Before the user types anything: the keyring must take it. */
	if (secret_ready(a, res) == -1 || secret_alloc(&s, res) == -1)
		return -1;
	if (passwd_read(a, &s, res) == 0 &&
	    secret_store(a, s.buf, s.len, res) == 0) {
		printf("stored the password for %s@%s (account '%s') in the "
		    "Secret Service; test it with: stamp --password check %s\n",
		    a->user, a->host, a->name, a->name);
		warn_shadowed(a);
		rv = 0;
	}
	secret_wipe(&s);
	return rv;
}

int
passwd_clear(const struct account *a, struct result *res)
{
	int	 n;

	if (secret_clear(a, &n, res) == -1)
		return -1;
	if (n == 0)
		printf("there was no password for %s@%s (account '%s') in the "
		    "Secret Service\n", a->user, a->host, a->name);
	else
		printf("removed the password for %s@%s (account '%s') from "
		    "the Secret Service\n", a->user, a->host, a->name);
	return 0;
}

void
passwd_checked(const struct account *a, const struct smtp_info *info)
{
	printf("authenticated as %s at %s:%d (%s, %s)\n", a->user, a->host,
	    a->port, info->tls[0] != '\0' ? info->tls : "no TLS",
	    info->auth[0] != '\0' ? info->auth : "no AUTH");
}
