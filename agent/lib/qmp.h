/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * A QMP client for the freezer (freeze.c): one command at a time, each
 * reply within a deadline.  QEMU is hostile input here; see qmp.c.
 */
#ifndef __BPFPOKE_QMP_H
#define __BPFPOKE_QMP_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct json_object;

struct qmp {
	int fd;
	unsigned int timeout_ms;
	unsigned int next_id;
	/* Failures as INFO, not WARN (a best-effort "cont"). */
	bool quiet;
	/*
	 * bpfpoke_qmp_cont_from_handler() wrote to and read from the socket: the
	 * stream is no longer ours to parse.
	 */
	volatile sig_atomic_t handler_used;
	/* The last reply; bpfpoke_qmp_exec()'s *ret points into it. */
	struct json_object *reply;
	/* Framing: QMP_MSG_MAX bytes read from the socket. */
	char *buf;
	size_t len;		/* bytes in buf */
	size_t scan;		/* bytes of buf looked at */
	size_t obj;		/* where the current object starts */
	size_t consumed;	/* bytes of the last message returned */
	int depth;
	bool in_str, esc;
	bool skip;		/* dropping an object too long or deep */
};

void bpfpoke_qmp_init(struct qmp *q, unsigned int timeout_ms);
int bpfpoke_qmp_open(struct qmp *q, const char *path);
void bpfpoke_qmp_close(struct qmp *q);
int bpfpoke_qmp_exec(struct qmp *q, const char *name, struct json_object **ret);
int bpfpoke_qmp_status(struct qmp *q, char *status, size_t size);
void bpfpoke_qmp_cont_from_handler(struct qmp *q);

#endif /* __BPFPOKE_QMP_H */
