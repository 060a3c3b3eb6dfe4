/*
 * doctor.h - stamp --doctor [ACCOUNT] [-f FROM RCPT...]: check an
 * account step by step, one line per step on stdout ("OK", "WARN",
 * "FAIL" or "SKIP", then what was checked), and after every WARN and
 * FAIL a "fix:" line with the change to make.
 *
 * Steps: the configuration (file, account, keys); DNS (the addresses);
 * a TCP connection to each address; the password source (found or not,
 * never shown); then one session through smtp.h (probe mode): TLS
 * (version, cipher, each certificate of the chain with its names and
 * expiry, the name check), the greeting, the EHLO capabilities, AUTH
 * without sending mail; with -f and recipients, MAIL FROM and each RCPT
 * TO, then RSET: never DATA.  Nothing is sent but to the account's
 * server.
 *
 * Returns the exit status: 0 when every step passed (warnings allowed),
 * else the status of the first failure (DESIGN.md 5).
 */
#ifndef STAMP_DOCTOR_H
#define STAMP_DOCTOR_H

#include <stdio.h>

struct cli;

int	 doctor_run(const struct cli *, FILE *out);

#endif
