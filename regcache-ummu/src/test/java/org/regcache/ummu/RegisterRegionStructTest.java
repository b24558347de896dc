package org.regcache.ummu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import com.sun.jna.Memory;
import org.junit.jupiter.api.Test;

class RegisterRegionStructTest {
    @Test
    void theReusableRequestHasTheStructuresBytes() {
        RegisterRegionStruct struct = new RegisterRegionStruct(0x1000, 0x3000, 0x1234567890L);
        struct.write();
        Memory memory = new Memory(RegisterRegionStruct.SIZE);
        for (long i = 0; i < memory.size(); i++) {
            memory.setByte(i, (byte) 0xa5); // left over from an earlier request
        }
        RegisterRegionStruct.write(memory, 0x1000, 0x3000, 0x1234567890L);
        assertArrayEquals(struct.getPointer().getByteArray(0, RegisterRegionStruct.SIZE),
                memory.getByteArray(0, RegisterRegionStruct.SIZE));
    }
}
