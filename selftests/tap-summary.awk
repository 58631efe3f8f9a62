# SPDX-License-Identifier: GPL-2.0
#
# need_done: how many L1 runs the output must hold to their end.
# Reads the framed output of test programs (host runner and L1 serial port)
# and prints each result and the closing line "N passed, N failed, N skipped".
# Counts TAP results ("ok", "not ok", "ok ... # SKIP") of every program; a
# program that dies, times out or prints no result counts as one failure,
# one that exits 4 (KSFT_SKIP) without results as one skip.  A kernel log
# section with an oops, BUG, WARNING or hung task is one more failure.
# Exit status: 0 when nothing failed and at least one test passed.
function finish(name, rc,    t) {
	if (rc == 4 && cur_pass + cur_fail + cur_skip == 0) {
		skip++
		printf "SKIP %s (exit 4)\n", name
	} else if (rc != 0 && rc != 4 && cur_fail == 0) {
		fail++
		printf "FAIL %s: exit status %s%s\n", name, rc,
			rc == 137 ? " (killed: timeout)" : ""
	} else if (rc == 0 && cur_pass + cur_fail + cur_skip == 0) {
		fail++
		printf "FAIL %s: exited 0 without any TAP result\n", name
	}
	printf "# %s: %d passed, %d failed, %d skipped\n", name, cur_pass,
		cur_fail, cur_skip
	in_test = 0
}
BEGIN { pass = 0; fail = 0; skip = 0; in_test = 0; done = 0; dmesg = 0 }
/^BPFPOKE-BEGIN / {
	if (in_test)
		finish(cur, "lost")
	cur = $2; in_test = 1; cur_pass = cur_fail = cur_skip = 0
	next
}
/^BPFPOKE-END / {
	finish($2, $3)
	next
}
/^BPFPOKE-DMESG-BEGIN/ { dmesg = 1; next }
/^BPFPOKE-DMESG-END/ { dmesg = 0; next }
/^BPFPOKE-DONE/ { done++; next }
/^BPFPOKE-NOTE L1 / { sub(/^BPFPOKE-NOTE /, ""); notes = notes "# NOTE " $0 "\n"; next }
/^BPFPOKE-UNFINISHED / { sub(/^BPFPOKE-UNFINISHED /, ""); unfinished = unfinished "\n# " $0; next }
/^BPFPOKE-MODULE-FAIL/ { fail++; print "FAIL " $0; next }
# A bad line and the report that follows it (make check-debug's lockdep,
# KASAN, KFENCE, kmemleak and debug-objects reports included).
dmesg {
	if ($0 ~ /Oops|BUG:|WARNING:|blocked for more than|general protection fault|Kernel panic|UBSAN|KASAN|KFENCE|ODEBUG|kmemleak: [0-9]+ new suspected|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|sleeping function called from invalid context|refcount_t:|list_(add|del) corruption/) {
		kbad++
		ctx = 40
		print "L1 kernel log: " $0
	} else if (ctx > 0) {
		ctx--
		print "L1 kernel log: | " $0
	}
	next
}
in_test && /^ok [0-9]+/ {
	if ($0 ~ /# [Ss][Kk][Ii][Pp]/) {
		cur_skip++; skip++; print "SKIP " cur ": " $0
	} else {
		cur_pass++; pass++; print "PASS " cur ": " $0
	}
	next
}
in_test && /^not ok [0-9]+/ {
	if ($0 ~ /# [Ss][Kk][Ii][Pp]/) {
		cur_skip++; skip++; print "SKIP " cur ": " $0
	} else {
		cur_fail++; fail++; print "FAIL " cur ": " $0
	}
	next
}
END {
	if (in_test)
		finish(cur, "lost")
	if (done < need_done) {
		fail++
		print "FAIL " need_done - done " L1 VM run(s) did not finish (crash, panic or timeout: see the console logs)" unfinished
	}
	if (kbad) {
		fail++
		print "FAIL the L1 kernel log has " kbad " bad line(s)"
	}
	printf "%s", notes
	printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
	exit (fail == 0 && pass > 0) ? 0 : 1
}
