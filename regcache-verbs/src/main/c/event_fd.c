/*
 * Timed waits on the event fds of rdma_cm event channels and completion channels.
 * Both fds are non-blocking, so that Java's processor threads can honour their timeouts and
 * be joined on close: poll() provides the wait, the get call that follows never blocks.
 */
#include <fcntl.h>
#include <poll.h>

#include "disni.h"

int disni_set_nonblocking(int fd)
{
	int flags = fcntl(fd, F_GETFL);

	if (flags < 0)
		return -1;
	return fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

int disni_wait_readable(int fd, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ret = poll(&pfd, 1, timeout_ms < 0 ? -1 : timeout_ms);

	if (ret <= 0)
		return ret;
	return (pfd.revents & POLLIN) ? 1 : -1;
}
