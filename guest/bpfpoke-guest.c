// SPDX-License-Identifier: GPL-2.0
/*
 * bpfpoke-guest: the guest side of bpfpoke.
 *
 *   bpfpoke-guest wait [--port PATH] [--timeout MS] [--state FILE] [--no-compat]
 *
 * Exit status: 0 the host's write landed (WRITE_DONE), 1 it failed
 * (WRITE_FAILED, the reason on stderr), 2 timeout, 3 the port could not be
 * opened or read, 64 usage.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "lib/bpfpoke_guest.h"

enum {
	EXIT_DONE = 0,
	EXIT_FAILED = 1,
	EXIT_TIMEOUT = 2,
	EXIT_PORT = 3,
	/* 2 is a timeout: usage is sysexits' EX_USAGE (64). */
	EXIT_USAGE = EX_USAGE,
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: bpfpoke-guest wait [--port PATH] [--timeout MS] [--state FILE] [--no-compat]\n"
		"\n"
		"Waits for the host's signal that its write into this kernel's BPF maps\n"
		"landed, on /dev/virtio-ports/org.bpfpoke.0 (or /dev/hvc0).\n"
		"Exit: 0 written, 1 the write failed, 2 timeout, 3 port error, 64 usage.\n");
}

static int do_wait(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "state", required_argument, NULL, 's' },
		{ "no-compat", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{}
	};
	struct bpfpoke_guest_opts opts = { .sz = sizeof(opts) };
	struct bpfpoke_guest_signal sig;
	struct bpfpoke_guest *g;
	long timeout = -1;
	char *end;
	int c, err;

	while ((c = getopt_long(argc, argv, "p:t:s:nh", longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			opts.port = optarg;
			break;
		case 't':
			errno = 0;
			timeout = strtol(optarg, &end, 10);
			if (errno || *end || timeout < 0 || timeout > 86400000) {
				fprintf(stderr, "bpfpoke-guest: bad --timeout '%s': milliseconds, 0..86400000\n",
					optarg);
				return EXIT_USAGE;
			}
			break;
		case 's':
			opts.state = optarg;
			break;
		case 'n':
			opts.no_compat = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return EXIT_USAGE;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return EXIT_USAGE;
	}

	g = bpfpoke_guest_open(&opts);
	if (!g) {
		fprintf(stderr, "bpfpoke-guest: cannot open %s: %s\n",
			opts.port ? opts.port : "the signal port", strerror(errno));
		return EXIT_PORT;
	}
	err = bpfpoke_guest_wait(g, (int)timeout, &sig);
	bpfpoke_guest_close(g);
	if (err == -ETIMEDOUT) {
		fprintf(stderr, "bpfpoke-guest: no signal within %ld ms\n", timeout);
		return EXIT_TIMEOUT;
	}
	if (err) {
		fprintf(stderr, "bpfpoke-guest: reading the signal port: %s\n",
			strerror(-err));
		return EXIT_PORT;
	}
	if (sig.failed) {
		fprintf(stderr, "bpfpoke-guest: the host's write failed: %s (signal %#x)\n",
			strerror(-sig.status), sig.seq);
		return EXIT_FAILED;
	}
	if (sig.compat)
		printf("write done (compat byte)\n");
	else
		printf("write done (signal %#x)\n", sig.seq);
	return EXIT_DONE;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "wait"))
		return do_wait(argc - 1, argv + 1);
	if (argc >= 2 && (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") ||
			  !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return EXIT_USAGE;
}
