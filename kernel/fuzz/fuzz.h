/* SPDX-License-Identifier: GPL-2.0 */
/*
 * umn-fuzz: random operations on /dev/ummunotify with an oracle.
 *
 * Every process of the fuzzer (a worker, or a child a worker forked) is
 * single-threaded as far as the oracle is concerned (a "racer" thread only
 * makes invalidations outside the modelled memory), so its state is one
 * global struct proc, P.  The oracle never predicts an event exactly (the
 * kernel may invalidate at any time: page migration, a THP split, the
 * racer); it checks what must hold whatever else happens:
 *
 * - an INVAL names a cookie that is registered, with a hint inside its
 *   range (the whole range without FLAG_HINT);
 * - between two LAST events a registration is reported at most as often
 *   as the counter moved, and a LAST comes only after something changed;
 * - the counter never goes back; a LAST carries a value between the
 *   mapped counter before and after the read() that returned it;
 * - an munmap (or MAP_FIXED, mremap, MADV_DONTNEED/FREE) of modelled
 *   memory that a registration covers moves the counter before it returns,
 *   and the registration is delivered before the next LAST unless it is
 *   unregistered first; a read() never answers EAGAIN while that is owed;
 * - with UMMUNOTIFY_FEATURE_REPORT_AT_END, an INVAL read while the racer's
 *   zap of its range was in progress is delivered again once the zap is
 *   over (inprogress.c);
 * - with an event ring (UMMUNOTIFY_FEATURE_EVENT_RING), every hit of a
 *   registration not queued for read() is one ring entry, or queued for
 *   read() with the ring's OVERFLOW flag set when the ring is full, and
 *   nothing is lost (ring.c);
 * - every call fails exactly as Documentation/ummunotify.rst says.
 */
#ifndef UMN_FUZZ_H
#define UMN_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/ummunotify.h>

#include "rng.h"

#define MAX_FDS		6	/* open files per process */
#define MAX_REGS	96	/* registrations per file the fuzzer keeps */
#define MAX_MAPS	3	/* counter page mappings per file */
#define MAX_ZOMBIES	6	/* counter mappings of closed files */
#define MAX_RING_MAPS	2	/* event ring mappings per file */
#define MAX_RETIRED	32	/* unregistered cookies a ring may still name */
#define MAX_CHILDREN	6	/* children a worker lets run on their own */
#define MAX_WORKERS	16
#define ARENA_PAGES	64	/* modelled memory per process */
#define SCRATCH_PAGES	32	/* the racer thread's memory, next to the arena */
#define ZAP_PAGES	1024	/* the racer's announced zaps, after it (inprogress.c) */
#define READ_BUF_PAGES	16
#define EVENT_SIZE	((long)sizeof(struct ummunotify_event))
/* TASK_SIZE of x86_64 with 4-level page tables: the driver's limit. */
#define USER_TOP	0x7ffffffff000ULL
#define WHAT_LEN	160
#define KNOWN_FEATURES	(UMMUNOTIFY_FEATURE_SKIP_SAME_PAGES | UMMUNOTIFY_FEATURE_REPORT_AT_END | \
			 UMMUNOTIFY_FEATURE_EVENT_RING)
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

enum used_state { UNUSED, MAYBE_USED, USED };

/* One registration the oracle knows to be live. */
struct reg {
	uint64_t cookie;
	uint64_t start;
	uint64_t end;
	bool must_report;	/* our invalidation hit it; not delivered since */
	unsigned int delivered;	/* INVALs since the last LAST */
	uint64_t again_by;	/* inprogress.c: owed again once this zap sequence is seen */
	/* With an event ring (ring.c): */
	uint64_t ring_from;	/* its entries are at this ring position or later */
	uint64_t ring_by;	/* if must_report: the ring head after the hit (0: none) */
	bool in_ring;		/* if must_report: not queued for read(), so in the ring */
};

/* A registration that is gone, whose entries may still be in the ring. */
struct retired {
	uint64_t cookie;
	uint64_t start;
	uint64_t end;
	uint64_t until;		/* the ring head after the UNREGISTER */
};

/*
 * A file's event ring as the oracle knows it (ring.c).  Only this process
 * stores into the tail word, so the tail the kernel believes is known
 * exactly: the last value it could accept.
 */
struct ring {
	uint32_t entries;	/* 0 until UMMUNOTIFY_SETUP_RING succeeded */
	const struct ummunotify_ring *maps[MAX_RING_MAPS];
	unsigned int nmaps;
	uint8_t *tail_page;	/* our page holding the tail word; NULL once unmapped */
	uint64_t *tail;		/* the tail word in it */
	bool tail_pinned;	/* the page is still the one the kernel pinned */
	bool tail_bogus;	/* the word holds a value the kernel ignores */
	uint64_t ktail;		/* the tail the kernel goes by */
	uint64_t consumed;	/* entries the oracle has checked */
	uint64_t head;		/* the highest head seen */
	struct retired retired[MAX_RETIRED];
	unsigned int nretired;
	uint64_t retired_lost;	/* entries below this may name forgotten cookies */
};

/*
 * A mapping of a file's counter page.  The kernel stores the counter at any
 * time (WRITE_ONCE(), one 64-bit store); read it with counter_load().
 */
struct counter_map {
	const uint64_t *addr;
	bool readable;		/* false while PROT_NONE or after MADV_DONTNEED */
	bool zapped;		/* MADV_DONTNEED: never read again */
};

/* An open file of the fuzzer's process. */
struct ufd {
	bool open;
	bool foreign;		/* opened by another address space */
	bool orphan;		/* received from a child that exited */
	int fd;
	unsigned int id;
	struct reg regs[MAX_REGS];
	unsigned int nregs;
	struct counter_map maps[MAX_MAPS];
	unsigned int nmaps;
	uint64_t seen;		/* highest counter value observed */
	uint64_t last;		/* counter carried by the last LAST (0 at open) */
	bool delivered_any;	/* an INVAL came since the last LAST */
	enum used_state used;
	uint32_t features;	/* agreed by EXCHANGE_FEATURES (0 without it) */
	uint64_t at_end_seen;	/* fdinfo's reported_at_end, highest seen */
	bool async;		/* O_ASYNC with us as owner */
	bool nonblock;
	struct ring ring;
};

/* The lines of /proc/self/fdinfo/FD (read_fdinfo()). */
struct fdinfo {
	uint64_t regs;
	uint64_t queued;
	uint64_t counter;
	uint64_t features;
	uint64_t reported;
	uint64_t filtered;
	uint64_t at_end;
	uint64_t ring_entries;
	uint64_t ring_head;
	uint64_t ring_tail;
	uint64_t ring_flags;
};

/* A counter mapping whose file was closed: it keeps the file alive. */
struct zombie {
	const uint64_t *addr;	/* read with counter_load() */
	bool readable;
	bool zapped;
	uint64_t seen;
	unsigned int id;
};

struct arena_page {
	bool mapped;
	bool shared;
	int prot;
	uint32_t vma;		/* pages with equal vma and contiguous: one VMA */
};

/* One operation (op_*.c) and how often a process picks it. */
struct op {
	void (*fn)(void);
	unsigned int weight;
	bool worker_only;	/* never in a forked child */
};

/* The operations a process picks from (ops.c). */
struct op_table {
	const struct op *ops;
	unsigned int count;
};

struct proc {
	struct rng rng;
	char name[48];
	unsigned int worker;
	bool child;
	unsigned long op;
	char what[WHAT_LEN];
	struct ufd fds[MAX_FDS];
	unsigned int next_id;
	struct zombie zombies[MAX_ZOMBIES];
	unsigned int nzombies;
	uint8_t *arena;
	struct arena_page pages[ARENA_PAGES];
	uint32_t next_vma;
	uint8_t *rbuf;		/* read buffer: shared anonymous, prefaulted */
	uint8_t *guard;		/* PROT_NONE page right after rbuf */
	uint8_t *ro_page;	/* a read-only page */
	long page_size;
	pid_t children[MAX_CHILDREN];
	unsigned int nchildren;
	unsigned long forks;
	unsigned long checks;
	unsigned long failures;
	unsigned long ops_flushed, checks_flushed, failures_flushed;
	const struct op_table *ops;	/* what run_process() picks from */
};

extern struct proc P;

/*
 * The counter of a mapped counter page, now: a relaxed atomic load, user
 * space's READ_ONCE().  The kernel changes the counter behind the
 * compiler's back, so every call must load it afresh, in one piece; nothing
 * else is published through it (the events come by read(), under the
 * file's lock), so no ordering against other accesses is needed.  The
 * system calls the oracle compares it around are compiler barriers.
 */
static inline uint64_t counter_load(const uint64_t *addr)
{
	return __atomic_load_n(addr, __ATOMIC_RELAXED);
}

/*
 * SIGIOs this process received.  proc.c's handler adds one; it runs on the
 * thread that reads the count (the racer blocks every signal), interrupting
 * it anywhere.  So every access is atomic and the object lock-free, which
 * C11 allows in a signal handler (async-signal-safe); relaxed, as the count
 * is all it carries and handler and reader share one thread.  Read it with
 * sigio_total().
 */
extern unsigned int sigio_count;
_Static_assert(__atomic_always_lock_free(sizeof(unsigned int), 0),
	       "sigio_count is touched by a signal handler: it must be lock-free");

static inline unsigned int sigio_total(void)
{
	return __atomic_load_n(&sigio_count, __ATOMIC_RELAXED);
}

/* Options, the same in every process. */
struct options {
	uint64_t seed;
	unsigned long ops;
	unsigned int workers;
	int only_worker;	/* -1: all */
	bool racer;
	unsigned int hang_seconds;
	bool verbose;
};

extern struct options opt;

/* report.c: checks, failures, the counters shared by all processes */
void shared_init(unsigned int workers);
void shared_flush(void);
void report_failure_counts(void);
void report_reset(void);
void shared_progress(void);
unsigned long shared_ops(void);
unsigned long shared_checks(void);
unsigned long shared_failures(void);
unsigned long shared_children(void);
unsigned long shared_child_ops(void);
unsigned long shared_worker_progress(unsigned int worker);
const char *shared_worker_what(unsigned int worker);
void shared_count_child(void);
__attribute__((format(printf, 2, 3)))
bool check(bool ok, const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void fail(const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void say(const char *fmt, ...);
__attribute__((format(printf, 1, 2)))
void set_what(const char *fmt, ...);
const char *errname(int err);
bool check_errno(long ret, int want, const char *call);
void check_mmap_refused(struct ufd *u, size_t len, int prot, int flags, off_t offset, int want,
			const char *what);

/* model.c: the oracle's view of each file */
struct ufd *fd_slot_free(void);
struct ufd *fd_pick(bool own);
struct reg *reg_find(struct ufd *u, uint64_t cookie);
void reg_add(struct ufd *u, uint64_t cookie, uint64_t start, uint64_t end);
void reg_remove(struct ufd *u, struct reg *r);
void mark_used(struct ufd *u, bool succeeded);
uint64_t observe(struct ufd *u);
void observe_all(void);
bool has_counter(struct ufd *u);
void consume_events(struct ufd *u, const void *buf, long bytes, uint64_t before);
void check_not_readable(struct ufd *u, uint64_t before, bool polled, const char *how);
void reg_owed(struct reg *r, uint64_t ring_head);
void fd_forget(struct ufd *u);
void check_fdinfo(struct ufd *u);
bool read_fdinfo(int fd, struct fdinfo *fi);

/* ring.c: the event ring in the oracle (UMMUNOTIFY_FEATURE_EVENT_RING) */
bool ring_agreed(const struct ufd *u);
bool ring_made(const struct ufd *u);
const struct ummunotify_ring *ring_map(const struct ufd *u);
void ring_start(struct ufd *u, uint32_t entries, uint8_t *page, uint64_t *tail);
uint64_t ring_head_now(struct ufd *u);
uint32_t ring_flags_now(const struct ufd *u);
const struct ummunotify_event *ring_entry(const struct ufd *u,
					  const struct ummunotify_ring *map, uint64_t seq);
void ring_check_entry(struct ufd *u, uint64_t seq, const struct ummunotify_event *ev);
void ring_checked_to(struct ufd *u, uint64_t seq);
void ring_publish(struct ufd *u, uint64_t tail);
void ring_publish_bogus(struct ufd *u);
bool ring_may_hold(struct ufd *u, struct reg *r);
bool ring_owed_on_list(const struct ufd *u, const struct reg *r);
void ring_check_fdinfo(struct ufd *u, const struct fdinfo *fi, uint32_t flags_before);
bool ring_fdinfo(struct ufd *u, struct fdinfo *fi);
void ring_observe(struct ufd *u);
void ring_unregistered(struct ufd *u, const struct reg *r);
void ring_hits_begin(void);
uint64_t ring_hits_end(struct ufd *u, const bool *hit, uint64_t lo, uint64_t hi,
		       const char *how);
void ring_close(struct ufd *u);
void ring_report(void);

/* memory.c: arena, read buffer, hostile pointers */
void memory_init(void);
void memory_init_child(void);
uintptr_t arena_base(unsigned int worker);
void *bad_pointer(size_t len, size_t *readable, size_t *writable, const char **kind);
void hits_begin(void);
void hits_add(uintptr_t start, uintptr_t end);
void hits_end(const char *how);
bool access_ok_user(uintptr_t addr, size_t len);

/* inprogress.c: reads during the racer's zaps (UMMUNOTIFY_FEATURE_REPORT_AT_END) */
uint8_t *zap_region(void);
bool zap_announced(void);
bool zap_in_progress(void);
bool zap_watched(struct ufd *u);
struct ufd *zap_watcher(void);
void zap_forget(void);
void zap_read_begins(void);
void zap_after_read(struct ufd *u, const void *buf, long bytes);
void zap_after_consume(struct ufd *u, const struct ummunotify_event *ev, long n,
		       bool published);
void zap_check_owed(struct ufd *u, const char *how);
void zap_report(void);

/* op_*.c: the operations */
void op_open(void);
void op_close(void);
void op_exchange(void);
void op_bad_ioctl(void);
void op_fdinfo(void);
void op_async(void);
void op_register(void);
void op_register_hostile(void);
void op_unregister(void);
void op_drain(void);
void op_read_small(void);
void op_read_hostile(void);
void op_poll(void);
void op_read_interrupted(void);
void op_read_during_zap(void);
void op_map_counter(void);
void op_map_counter_hostile(void);
void op_protect_counter(void);
void op_move_counter(void);
void op_unmap_counter(void);
void op_zap_counter(void);
void op_ring_open(void);
void op_ring_setup(void);
void op_ring_map(void);
void op_ring_map_hostile(void);
void op_ring_unmap(void);
void op_ring_consume(void);
void op_ring_tail_page(void);
void ring_consume_all(struct ufd *u);
void op_arena_map(void);
void op_arena_unmap(void);
void op_arena_touch(void);
void op_arena_protect(void);
void op_arena_discard(void);
void op_arena_remap(void);
void op_soft_dirty_reset(void);
void op_fork_exit(void);
void benign_begin(void);
void benign_end(const char *how);
void op_fork(void);
void op_pass_fd(void);
void op_reap(void);
void drain_all(void);
void drain_file(struct ufd *u);
struct ufd *fd_open(bool nonblock);
void check_arena_model(void);

/* ops.c: the operation table, for P.ops */
extern const struct op_table fuzz_ops;

/* proc.c: one process's life */
void run_process(unsigned long nops);
void reap_children(bool wait);
void check_child_status(pid_t pid, int status);
void become_child(unsigned long serial);
void racer_start(void);
void racer_stop(void);
_Noreturn void child_exit(bool kill_self);

#endif /* UMN_FUZZ_H */
