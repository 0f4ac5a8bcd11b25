package io.procwarden.testing;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;

/**
 * The calling thread's CPU set ({@code sched_getaffinity}/{@code sched_setaffinity} on thread 0,
 * i.e. itself), for tests that put two threads on one CPU so that a thread woken by another
 * runs while the waker is still between two steps of what it does.
 */
public final class CpuAffinity implements AutoCloseable {
    private static final int MASK_BYTES = 128; // cpu_set_t: 1024 CPUs
    private static final Linker LINKER = Linker.nativeLinker();
    private static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    private static final long ERRNO_OFFSET = Linker.Option.captureStateLayout()
            .byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno"));
    private static final MethodHandle GET = handle("sched_getaffinity");
    private static final MethodHandle SET = handle("sched_setaffinity");

    private final byte[] previous;

    private CpuAffinity(byte[] previous) {
        this.previous = previous;
    }

    private static MethodHandle handle(String name) {
        return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_LONG, ValueLayout.ADDRESS),
                ERRNO);
    }

    /** Pins the calling thread to {@code cpu}; closing gives it back the CPUs it had. */
    public static CpuAffinity pin(int cpu) {
        byte[] before = call(GET, new byte[MASK_BYTES], "sched_getaffinity");
        byte[] only = new byte[MASK_BYTES];
        only[cpu / 8] = (byte) (1 << (cpu % 8));
        call(SET, only, "sched_setaffinity(cpu " + cpu + ")");
        return new CpuAffinity(before);
    }

    /** The lowest CPU the calling thread may run on. */
    public static int firstAllowed() {
        byte[] mask = call(GET, new byte[MASK_BYTES], "sched_getaffinity");
        for (int i = 0; i < MASK_BYTES * 8; i++) {
            if ((mask[i / 8] & (1 << (i % 8))) != 0) return i;
        }
        throw new IllegalStateException("sched_getaffinity: empty CPU set");
    }

    @Override
    public void close() {
        call(SET, previous, "sched_setaffinity (restore)");
    }

    private static byte[] call(MethodHandle h, byte[] mask, String what) {
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment state = arena.allocate(Linker.Option.captureStateLayout());
            MemorySegment m = arena.allocate(MASK_BYTES);
            m.copyFrom(MemorySegment.ofArray(mask));
            int r = (int) h.invokeExact(state, 0, (long) MASK_BYTES, m);
            if (r != 0) throw new IllegalStateException(what + " failed: errno " + state.get(ValueLayout.JAVA_INT, ERRNO_OFFSET));
            return m.toArray(ValueLayout.JAVA_BYTE);
        } catch (Throwable t) {
            if (t instanceof RuntimeException e) throw e;
            throw new IllegalStateException(what + ": " + t, t);
        }
    }
}
