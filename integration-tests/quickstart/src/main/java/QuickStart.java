import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.Set;
import org.regcache.api.Access;
import org.regcache.api.CacheStats;
import org.regcache.api.RegistrationCache;
import org.regcache.api.RegistrationHandle;
import org.regcache.ummu.UmmunotifyInvalidationSource;
import org.regcache.verbs.DisniProtectionDomain;

/** Registers a direct buffer on an RDMA device through regcache and prints its keys. */
public class QuickStart {
    public static void main(String[] args) throws Exception {
        String device = args.length > 0 ? args[0] : "rxe0";
        // /dev/ummunotify first: without the module, that is the first error.
        // The cache owns the source once built; closing it again is harmless.
        try (UmmunotifyInvalidationSource ummunotify = UmmunotifyInvalidationSource.open();
             DisniProtectionDomain domain = DisniProtectionDomain.openDevice(device);
             RegistrationCache cache = RegistrationCache.builder()
                     .registrar(domain.registrar())
                     .invalidationSource(ummunotify)
                     .maxPinnedBytes(256L << 20) // idle registrations beyond it are evicted
                     .build()) {
            ByteBuffer buffer = ByteBuffer.allocateDirect(1 << 20);
            Set<Access> access = EnumSet.of(Access.LOCAL_WRITE, Access.REMOTE_READ);
            try (RegistrationHandle h = cache.acquire(buffer, access)) { // a miss: registers
                // work requests use h.lkey(); the peer gets h.address() and h.rkey()
                System.out.printf("%s: %d bytes at 0x%x, lkey=0x%x rkey=0x%x%n",
                        device, h.length(), h.address(), h.lkey(), h.rkey());
            }
            try (RegistrationHandle h = cache.acquire(buffer.slice(4096, 4096), access)) {
                System.out.printf("a slice of it: a hit, lkey=0x%x%n", h.lkey());
            }
            CacheStats stats = cache.stats();
            System.out.printf("hits=%d misses=%d registerCalls=%d%n",
                    stats.hits(), stats.misses(), stats.registerCalls());
        }
    }
}
