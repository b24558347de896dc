package org.regcache.e2e;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.regcache.api.InvalidationSink;
import org.regcache.api.InvalidationSource;
import org.regcache.api.RegistrationException;
import org.regcache.ummu.UmmunotifyInvalidationSource;

/**
 * A /dev/ummunotify invalidation source that also knows its file descriptor, so that a test
 * can read the kernel's count of registered ranges ({@code registrations:} in
 * /proc/self/fdinfo) at any time, and records that count when the cache closes it, just
 * before the file is closed.
 */
final class RecordingUmmunotifySource implements InvalidationSource {
    private static final Pattern REGISTRATIONS = Pattern.compile("(?m)^registrations:\\t(\\d+)$");
    private static final String DEVICE = "/dev/ummunotify";

    private final UmmunotifyInvalidationSource delegate;
    private final int fd;
    private volatile long registrationsAtClose = -1;
    private volatile long keptAtClose = -1;

    private RecordingUmmunotifySource(UmmunotifyInvalidationSource delegate, int fd) {
        this.delegate = delegate;
        this.fd = fd;
    }

    /** Opens the device and finds the descriptor it got. */
    static RecordingUmmunotifySource open() {
        Set<Integer> before = deviceDescriptors();
        UmmunotifyInvalidationSource source = UmmunotifyInvalidationSource.open();
        Set<Integer> opened = deviceDescriptors();
        opened.removeAll(before);
        if (opened.size() != 1) {
            source.close();
            throw new AssertionError("expected one new descriptor of " + DEVICE + ", found "
                    + opened);
        }
        return new RecordingUmmunotifySource(source, opened.iterator().next());
    }

    /** The ranges the kernel holds for this file now. */
    long registrations() {
        try {
            String info = Files.readString(Path.of("/proc/self/fdinfo/" + fd));
            Matcher m = REGISTRATIONS.matcher(info);
            if (!m.find()) {
                throw new AssertionError("no 'registrations:' line in fdinfo: " + info);
            }
            return Long.parseLong(m.group(1));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The kernel registrations of ended watches the source kept for reuse (see {@link
     * UmmunotifyInvalidationSource#keptRegistrations()}): the kernel holds these besides one
     * per live watch.
     */
    long kept() {
        return delegate.keptRegistrations();
    }

    /** {@link #kept()} when the cache closed this source, or -1 if it did not. */
    long keptAtClose() {
        return keptAtClose;
    }

    /** {@link #registrations()} when the cache closed this source, or -1 if it did not. */
    long registrationsAtClose() {
        return registrationsAtClose;
    }

    /** Whether the descriptor is still open and still the device. */
    boolean descriptorOpen() {
        return deviceDescriptors().contains(fd);
    }

    private static Set<Integer> deviceDescriptors() {
        Set<Integer> found = new HashSet<>();
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(Path.of("/proc/self/fd"))) {
            for (Path link : fds) {
                try {
                    if (Files.readSymbolicLink(link).toString().equals(DEVICE)) {
                        found.add(Integer.parseInt(link.getFileName().toString()));
                    }
                } catch (IOException vanished) {
                    // a descriptor closed while we looked
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return found;
    }

    @Override
    public void start(InvalidationSink sink) {
        delegate.start(sink);
    }

    @Override
    public void watch(long cookie, long address, long length) throws RegistrationException {
        delegate.watch(cookie, address, length);
    }

    @Override
    public void unwatch(long cookie) {
        delegate.unwatch(cookie);
    }

    @Override
    public boolean hasPendingInvalidations() {
        return delegate.hasPendingInvalidations();
    }

    @Override
    public void drain() {
        delegate.drain();
    }

    @Override
    public void close() {
        if (registrationsAtClose < 0 && descriptorOpen()) {
            registrationsAtClose = registrations();
            keptAtClose = kept();
        }
        delegate.close();
    }
}
