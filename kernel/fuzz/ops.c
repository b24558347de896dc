// SPDX-License-Identifier: GPL-2.0
/*
 * The operation table: every operation of the fuzzer (op_*.c) and how
 * often a process picks it.
 *
 * proc.c's loop runs the table the process was given (P.ops, set by
 * main.c), and names no operation but op_open(): some operations run that
 * loop themselves (op_fork() and op_pass_fd(), in their child), so a loop
 * that named them would make proc.c and op_proc.c depend on each other.
 */
#include "fuzz.h"

static const struct op ops[] = {
	{ op_open, 25, false },
	{ op_close, 12, false },
	{ op_exchange, 8, false },
	{ op_bad_ioctl, 8, false },
	{ op_fdinfo, 15, false },
	{ op_async, 5, false },
	{ op_register, 150, false },
	{ op_register_hostile, 40, false },
	{ op_unregister, 80, false },
	{ op_drain, 90, false },
	{ op_read_small, 35, false },
	{ op_read_hostile, 40, false },
	{ op_poll, 25, false },
	{ op_read_interrupted, 2, false },
	{ op_read_during_zap, 10, true },
	{ op_map_counter, 25, false },
	{ op_map_counter_hostile, 12, false },
	{ op_protect_counter, 10, false },
	{ op_move_counter, 6, false },
	{ op_unmap_counter, 12, false },
	{ op_zap_counter, 3, false },
	{ op_ring_open, 8, false },
	{ op_ring_setup, 10, false },
	{ op_ring_map, 12, false },
	{ op_ring_unmap, 5, false },
	{ op_ring_consume, 50, false },
	{ op_ring_tail_page, 2, false },
	{ op_arena_map, 90, false },
	{ op_arena_unmap, 80, false },
	{ op_arena_touch, 60, false },
	{ op_arena_protect, 25, false },
	{ op_arena_discard, 40, false },
	{ op_arena_remap, 25, false },
	{ op_soft_dirty_reset, 8, false },
	{ op_fork_exit, 2, false },
	{ op_fork, 1, true },
	{ op_pass_fd, 1, true },
	{ op_reap, 3, true },
};

const struct op_table fuzz_ops = {
	.ops = ops,
	.count = ARRAY_SIZE(ops),
};
