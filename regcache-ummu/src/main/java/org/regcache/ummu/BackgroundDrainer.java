package org.regcache.ummu;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The optional daemon thread of {@link UmmunotifyInvalidationSource}: poll()s the device and
 * drains when it becomes readable, so that invalidated idle registrations are deregistered
 * without waiting for the next acquire. Exits within {@value #POLL_MILLIS} ms of close().
 */
final class BackgroundDrainer implements Runnable {
    private static final Logger LOG = LoggerFactory.getLogger(BackgroundDrainer.class);
    static final int POLL_MILLIS = 100;

    private final UmmunotifyInvalidationSource source;
    private final UmmunotifyDevice device;

    private BackgroundDrainer(UmmunotifyInvalidationSource source, UmmunotifyDevice device) {
        this.source = source;
        this.device = device;
    }

    static Thread start(UmmunotifyInvalidationSource source, UmmunotifyDevice device) {
        Thread thread = new Thread(new BackgroundDrainer(source, device), "ummunotify-drainer");
        thread.setDaemon(true);
        thread.start();
        return thread;
    }

    @Override
    public void run() {
        while (!source.isClosed()) {
            try {
                if (device.awaitReadable(POLL_MILLIS)) {
                    if (source.hasPendingInvalidations()) {
                        source.drain();
                    } else {
                        Thread.sleep(POLL_MILLIS); // readable without news: do not spin
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (RuntimeException e) {
                if (source.isClosed()) {
                    return;
                }
                LOG.warn("background drain failed; retrying", e);
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException interrupted) {
                    return;
                }
            }
        }
    }
}
