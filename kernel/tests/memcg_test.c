// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel memory behind a file's registrations is charged to the memory
 * cgroup of the process that registers them, so that a container cannot
 * escape its memory limit through /dev/ummunotify.  Needs root (creating a
 * cgroup); mounts cgroup2 if the guest has not.
 */
#define _GNU_SOURCE
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "umn_test.h"

#define NREGS		100000UL
/* A registration costs about 150 bytes; 64 of them prove the charge. */
#define MIN_CHARGE	(NREGS * 64)

/* Where cgroup2 is mounted, per /proc/self/mountinfo; false if nowhere. */
static bool find_cgroup2(char *dir, size_t len)
{
	char line[1024], mnt[512], *sep;
	bool found = false;
	FILE *f = fopen("/proc/self/mountinfo", "re");

	while (f && !found && fgets(line, sizeof(line), f)) {
		sep = strstr(line, " - ");
		if (!sep || strncmp(sep, " - cgroup2 ", 11))
			continue;
		if (sscanf(line, "%*s %*s %*s %*s %511s", mnt) == 1) {
			snprintf(dir, len, "%s", mnt);
			found = true;
		}
	}
	if (f)
		fclose(f);
	return found;
}

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return n;
}

static long long read_number(const char *path)
{
	char buf[64] = "";
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoll(buf) : -EIO;
}

FIXTURE(memcg) {
	char root[512];
	char group[600];
	bool mounted;
};

FIXTURE_SETUP(memcg)
{
}

FIXTURE_TEARDOWN(memcg)
{
	if (self->group[0])
		rmdir(self->group);
	if (self->mounted)
		umount(self->root);
}

/* In the child, in the cgroup: bytes charged by NREGS registrations. */
static long long charge_of_registrations(const char *group)
{
	char path[700];
	long long before, after;
	size_t i;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.procs", group);
	if (write_file(path, "0"))
		return -1;
	snprintf(path, sizeof(path), "%s/memory.current", group);
	fd = umn_open(0);
	if (fd < 0)
		return -2;
	before = read_number(path);
	for (i = 0; i < NREGS; i++)
		if (umn_register(fd, 0x100000 + i * 64, 0x100000 + i * 64 + 32, i))
			return -3;
	after = read_number(path);
	if (before < 0 || after < 0)
		return -4;
	close(fd);
	return after - before;
}

TEST_F(memcg, registrations_are_charged_to_the_registering_memcg)
{
	char path[700];
	long long charge;
	int pipefd[2], status;
	pid_t child;

	if (geteuid() != 0)
		SKIP(return, "creating a memory cgroup needs root");
	if (!find_cgroup2(self->root, sizeof(self->root))) {
		snprintf(self->root, sizeof(self->root), "/run/umn-cgroup2-%d", getpid());
		ASSERT_EQ(0, mkdir(self->root, 0755));
		if (mount("none", self->root, "cgroup2", 0, NULL))
			SKIP(return, "no cgroup2 (mount: %s)", strerror(errno));
		self->mounted = true;
	}
	snprintf(path, sizeof(path), "%s/cgroup.controllers", self->root);
	{
		char controllers[256] = "";
		int fd = open(path, O_RDONLY | O_CLOEXEC);

		ASSERT_LE(0, fd);
		ASSERT_LT(0, read(fd, controllers, sizeof(controllers) - 1));
		close(fd);
		if (!strstr(controllers, "memory"))
			SKIP(return, "the memory controller is not available");
	}
	snprintf(path, sizeof(path), "%s/cgroup.subtree_control", self->root);
	ASSERT_EQ(0, write_file(path, "+memory"));
	snprintf(self->group, sizeof(self->group), "%s/umn-memcg-%d", self->root, getpid());
	ASSERT_EQ(0, mkdir(self->group, 0755));

	ASSERT_EQ(0, pipe(pipefd));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		charge = charge_of_registrations(self->group);
		_exit(write(pipefd[1], &charge, sizeof(charge)) == sizeof(charge) ? 0 : 1);
	}
	ASSERT_EQ(sizeof(charge), read(pipefd[0], &charge, sizeof(charge)));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_LE(0, charge) TH_LOG("the child failed at step %lld", -charge);
	TH_LOG("%lu registrations charged %lld bytes (%lld per registration)",
	       NREGS, charge, charge / (long long)NREGS);
	EXPECT_LE(MIN_CHARGE, charge);
}

TEST_HARNESS_MAIN
