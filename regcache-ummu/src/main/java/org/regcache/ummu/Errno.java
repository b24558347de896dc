package org.regcache.ummu;

import org.regcache.ummu.internal.LibC;

/** Turns an errno into "ENOENT (2, No such file or directory)" for messages. */
final class Errno {
    private Errno() {
    }

    static String describe(int errno) {
        String text;
        try {
            text = LibC.strerror(errno);
        } catch (RuntimeException | LinkageError e) {
            text = "?";
        }
        return name(errno) + " (" + errno + ", " + text + ")";
    }

    static String name(int errno) {
        switch (errno) {
            case LibC.EPERM: return "EPERM";
            case LibC.ENOENT: return "ENOENT";
            case LibC.EINTR: return "EINTR";
            case LibC.ENXIO: return "ENXIO";
            case LibC.EAGAIN: return "EAGAIN";
            case LibC.ENOMEM: return "ENOMEM";
            case LibC.EACCES: return "EACCES";
            case LibC.EFAULT: return "EFAULT";
            case LibC.ENODEV: return "ENODEV";
            case LibC.EINVAL: return "EINVAL";
            case LibC.ENOTTY: return "ENOTTY";
            case LibC.ENOSPC: return "ENOSPC";
            default: return "errno";
        }
    }
}
