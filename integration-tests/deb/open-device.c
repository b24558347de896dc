// SPDX-License-Identifier: GPL-2.0
/*
 * Opens /dev/ummunotify, exchanges feature bits, registers and unregisters
 * a range: built by deb/guest-check against the header ummunotify-dev
 * installs (<linux/ummunotify.h>, no -I) and run as an unprivileged user, it
 * proves that the header is usable as installed and that the udev rule of
 * ummunotify-dkms lets every user use the device.  Exits 0 when all of it
 * worked, else says which call failed.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/ummunotify.h>

static char buffer[4096];

int main(void)
{
	struct ummunotify_register_ioctl region = {
		.start = (uintptr_t)buffer,
		.end = (uintptr_t)buffer + sizeof(buffer),
		.user_cookie = 1,
	};
	__u64 cookie = region.user_cookie;
	__u32 features = 0;
	int fd;

	fd = open("/dev/ummunotify", O_RDONLY);
	if (fd < 0) {
		perror("open /dev/ummunotify");
		return 1;
	}
	if (ioctl(fd, UMMUNOTIFY_EXCHANGE_FEATURES, &features)) {
		perror("UMMUNOTIFY_EXCHANGE_FEATURES");
		return 1;
	}
	if (ioctl(fd, UMMUNOTIFY_REGISTER_REGION, &region)) {
		perror("UMMUNOTIFY_REGISTER_REGION");
		return 1;
	}
	if (ioctl(fd, UMMUNOTIFY_UNREGISTER_REGION, &cookie)) {
		perror("UMMUNOTIFY_UNREGISTER_REGION");
		return 1;
	}
	printf("uid %u used /dev/ummunotify\n", (unsigned int)getuid());
	return close(fd) != 0;
}
