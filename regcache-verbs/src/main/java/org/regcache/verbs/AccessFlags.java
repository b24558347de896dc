package org.regcache.verbs;

import com.ibm.disni.verbs.IbvMr;
import java.util.Set;
import org.regcache.api.Access;
import org.regcache.api.RegistrationException;

/** Maps {@link Access} sets to the verbs access flags DiSNI passes to {@code ibv_reg_mr}. */
final class AccessFlags {
    /** errno of "invalid argument", what ibv_reg_mr reports for the same inputs. */
    static final int EINVAL = 22;

    private AccessFlags() {
    }

    /**
     * The {@code IBV_ACCESS_*} bits of {@code access}.
     *
     * @throws RegistrationException (errno EINVAL) if REMOTE_WRITE or REMOTE_ATOMIC is asked
     *     for without LOCAL_WRITE, which the verbs forbid
     */
    static int toVerbs(Set<Access> access) throws RegistrationException {
        for (Access remote : new Access[] {Access.REMOTE_WRITE, Access.REMOTE_ATOMIC}) {
            if (access.contains(remote) && !access.contains(Access.LOCAL_WRITE)) {
                throw new RegistrationException(remote + " requires LOCAL_WRITE (verbs rule: "
                        + "ibv_reg_mr refuses remote write or atomic access without local write)",
                        EINVAL);
            }
        }
        int flags = 0;
        for (Access right : access) {
            flags |= switch (right) {
                case LOCAL_WRITE -> IbvMr.IBV_ACCESS_LOCAL_WRITE;
                case REMOTE_WRITE -> IbvMr.IBV_ACCESS_REMOTE_WRITE;
                case REMOTE_READ -> IbvMr.IBV_ACCESS_REMOTE_READ;
                case REMOTE_ATOMIC -> IbvMr.IBV_ACCESS_REMOTE_ATOMIC;
            };
        }
        return flags;
    }
}
