/* rusage FD CMD ARGS...: run CMD, wait for it, write
 * "wall_s user_s sys_s maxrss_kib exit_status\n" to FD, exit 0.
 *
 * Why: ru_maxrss counts the RSS a child had before exec(), so a child forked
 * (or posix_spawn'ed: CLONE_VM shares the parent's mm) from the Python
 * benchmark would report Python's ~23 MiB whatever it runs.  This helper is
 * a small C process, so what it spawns starts from ~1 MiB. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status;
	pid_t pid;
	FILE *out;

	if (argc < 3 || !(out = fdopen(atoi(argv[1]), "w"))) {
		fprintf(stderr, "usage: rusage FD CMD [ARG...]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0)
		return 2;
	if (pid == 0) {
		fclose(out);
		execvp(argv[2], argv + 2);
		_exit(127);
	}
	if (wait4(pid, &status, 0, &ru) < 0)
		return 2;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fprintf(out, "%.6f %ld.%06ld %ld.%06ld %ld %d\n",
	    (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9,
	    (long)ru.ru_utime.tv_sec, (long)ru.ru_utime.tv_usec,
	    (long)ru.ru_stime.tv_sec, (long)ru.ru_stime.tv_usec,
	    ru.ru_maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
	return fclose(out) == 0 ? 0 : 2;
}
