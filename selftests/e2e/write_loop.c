// SPDX-License-Identifier: GPL-2.0
/*
 * write_loop PID BTF SYMBOLS SUFFIX FIELD SECONDS
 *
 * BTF and SYMBOLS describe the guest kernel; "-" for both reads the
 * guest's own (no description).
 *
 * One agent session on the VMM with PID (through bpfpoke.ko) that writes
 * FIELD=1, 2, 3, ... as fast as it can, each a full bpfpoke_write() (map
 * lookup in guest memory, resolve, one all-or-nothing batch), until a
 * write fails or SECONDS pass.  For the end-to-end test that kills the VMM
 * while the agent writes: prints how many writes landed and the error
 * that ended the loop; also the benchmark of warm writes on an open
 * session.  Exit 0 when the time ran out, 1 when a write failed, 2 when
 * the session could not be set up.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bpfpoke.h"

static int print(enum bpfpoke_print_level level, const char *fmt, va_list ap)
{
	if (level == BPFPOKE_DEBUG)
		return 0;
	fprintf(stdout, "lib: ");
	return vfprintf(stdout, fmt, ap);
}

int main(int argc, char **argv)
{
	struct bpfpoke_session_opts opts = {
		.sz = sizeof(opts),
		.flags = BPFPOKE_SESSION_WRITABLE,
	};
	struct bpfpoke_map_write w;
	struct bpfpoke_session *s;
	struct timespec t0, t1;
	unsigned long n = 0;
	double secs;
	time_t end;
	int err;

	if (argc != 7) {
		fprintf(stderr, "usage: write_loop PID BTF SYMBOLS SUFFIX FIELD SECONDS\n");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	bpfpoke_set_print(print);
	opts.vm_pid = atoi(argv[1]);
	if (strcmp(argv[2], "-") || strcmp(argv[3], "-")) {
		opts.btf = argv[2];
		opts.symbols = argv[3];
	}
	s = bpfpoke_session_open(&opts);
	if (!s) {
		printf("write_loop: session: %s\n", strerror(errno));
		return 2;
	}
	err = bpfpoke_session_attach(s);
	if (!err)
		err = bpfpoke_session_load(s);
	if (err) {
		printf("write_loop: attach/load: %s\n", strerror(-err));
		bpfpoke_session_close(s);
		return 2;
	}
	printf("write_loop: writing\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	end = time(NULL) + atoi(argv[6]);
	do {
		/* A typed descriptor: the value an unsigned number. */
		err = bpfpoke_map_write_init(&w, argv[4], argv[5],
					     (n + 1) & 0x7fffffff);
		if (!err)
			err = bpfpoke_write(s, &w, 1, NULL);
		if (err)
			break;
		if (!(++n % 16))
			printf("write_loop: %lu writes\n", n);
	} while (time(NULL) < end);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("write_loop: %lu writes in %.3f s (%.1f us each), then %s\n",
	       n, secs, n ? secs * 1e6 / n : 0.0,
	       err ? strerror(-err) : "time ran out");
	bpfpoke_session_close(s);
	return err ? 1 : 0;
}
