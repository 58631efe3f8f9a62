// SPDX-License-Identifier: GPL-2.0
/*
 * signal_send SPEC done|failed|compat [ERRNO] [TIMEOUT_MS]
 *
 * Sends one signal through libbpfpoke's signaller and waits for the
 * guest's acknowledgement: what `bpfpoke write` does after its batch, for
 * the end-to-end tests and the benchmark of the signal path alone; prints
 * the time from sending to the acknowledgement.  Exit 0 when acknowledged
 * (compat: when sent), 1 otherwise.  With BPFPOKE_TRACE_MARKER set to
 * tracefs's trace_marker, "signal_send: send" and "signal_send: acked"
 * mark the two ends in the kernel's trace (make bench's breakdown).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bpfpoke.h"

static void mark(int fd, const char *what)
{
	if (fd >= 0 && write(fd, what, strlen(what)) < 0)
		perror("signal_send: trace marker");
}

int main(int argc, char **argv)
{
	struct bpfpoke_signal_opts opts = { .sz = sizeof(opts) };
	struct bpfpoke_signaller *s;
	bool failed = false;
	int status = 0, err;
	struct timespec t0, t1;
	const char *marker = getenv("BPFPOKE_TRACE_MARKER");
	int mfd = -1;
	__u32 seq = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: signal_send SPEC done|failed|compat [ERRNO] [TIMEOUT_MS]\n");
		return 2;
	}
	if (!strcmp(argv[2], "failed")) {
		failed = true;
		status = -(argc > 3 ? atoi(argv[3]) : EIO);
	} else if (!strcmp(argv[2], "compat")) {
		opts.compat = true;
	} else if (strcmp(argv[2], "done")) {
		fprintf(stderr, "signal_send: unknown kind '%s'\n", argv[2]);
		return 2;
	}
	if (argc > 4)
		opts.timeout_ms = atoi(argv[4]);

	s = bpfpoke_signaller_open(argv[1], &opts);
	if (!s) {
		fprintf(stderr, "signal_send: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (marker && *marker) {
		mfd = open(marker, O_WRONLY | O_CLOEXEC);
		if (mfd < 0)
			fprintf(stderr, "signal_send: %s: %s\n", marker, strerror(errno));
	}
	mark(mfd, "signal_send: send");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = bpfpoke_signaller_send(s, failed, status, &seq);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	mark(mfd, "signal_send: acked");
	if (mfd >= 0)
		close(mfd);
	bpfpoke_signaller_close(s);
	if (err) {
		fprintf(stderr, "signal_send: %s\n", strerror(-err));
		return 1;
	}
	printf("signal %#x %s in %.3f ms\n", seq,
	       opts.compat ? "sent" : "acknowledged",
	       (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6);
	return 0;
}
