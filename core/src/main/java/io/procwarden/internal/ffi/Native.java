package io.procwarden.internal.ffi;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.foreign.StructLayout;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;

/**
 * The linker, the C library's symbols, and errno capture shared by every binding class.
 *
 * <p>Every call that can set errno is linked with {@code captureCallState("errno")}: the JVM
 * may itself make calls between ours that clobber errno, so reading it later is wrong. The
 * capture buffer is per thread (a few bytes, owned by an automatic arena that the GC frees
 * with the thread), which keeps each binding allocation-free.
 */
public final class Native {
    private Native() {}

    static {
        NativeAccessCheck.warnOnce(); // before the first restricted call below
    }

    public static final Linker LINKER = Linker.nativeLinker();
    public static final SymbolLookup LIBC = LINKER.defaultLookup();

    public static final ValueLayout.OfInt C_INT = ValueLayout.JAVA_INT;
    public static final ValueLayout.OfLong C_LONG = ValueLayout.JAVA_LONG;
    public static final ValueLayout.OfShort C_SHORT = ValueLayout.JAVA_SHORT;
    public static final AddressLayout C_POINTER = ValueLayout.ADDRESS;

    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO_HANDLE =
            CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));

    private static final ThreadLocal<MemorySegment> CAPTURE =
            ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE_LAYOUT));

    /** This thread's errno capture buffer; pass it as the first argument of a capturing handle. */
    public static MemorySegment errnoState() {
        return CAPTURE.get();
    }

    /** errno as captured by the last capturing call made with {@code state}. */
    public static int errno(MemorySegment state) {
        return (int) ERRNO_HANDLE.get(state, 0L);
    }

    /** Finds a libc symbol, if this C library has it (for optional functions like closefrom_np). */
    public static Optional<MemorySegment> find(String name) {
        return LIBC.find(name);
    }

    /** Links a libc function that does not set errno (or whose errno we do not read). */
    public static MethodHandle function(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        MemorySegment symbol = find(name).orElseThrow(() -> new UnsatisfiedLinkError("C library has no symbol " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /** Links a libc function that reports failure through errno: the handle takes the capture buffer first. */
    public static MethodHandle functionWithErrno(String name, FunctionDescriptor descriptor, Linker.Option... options) {
        Linker.Option[] all = new Linker.Option[options.length + 1];
        all[0] = CAPTURE_ERRNO;
        System.arraycopy(options, 0, all, 1, options.length);
        return function(name, descriptor, all);
    }

    /** Links an optional libc function: empty when the C library predates it. */
    public static Optional<MethodHandle> optionalFunction(String name, FunctionDescriptor descriptor) {
        return find(name).map(symbol -> LINKER.downcallHandle(symbol, descriptor));
    }

    private static final class StrerrorH {
        static final MethodHandle MH = function("strerror", FunctionDescriptor.of(C_POINTER, C_INT));
    }

    /** {@code char *strerror(int errnum)}: copied at once, since the buffer may be reused. */
    static String strerror(int errno) {
        try {
            MemorySegment text = (MemorySegment) StrerrorH.MH.invokeExact(errno);
            if (text.equals(MemorySegment.NULL)) {
                return "Unknown error " + errno;
            }
            return text.reinterpret(4096).getString(0, StandardCharsets.UTF_8);
        } catch (Throwable t) {
            throw rethrow(t);
        }
    }

    /** Allocates a NUL-terminated UTF-8 copy of {@code s}; the caller has checked it has no NUL. */
    public static MemorySegment cString(SegmentAllocator allocator, String s) {
        return allocator.allocateFrom(s, StandardCharsets.UTF_8);
    }

    /** Allocates a NULL-terminated array of C strings ({@code char *const argv[]}). */
    public static MemorySegment cStringArray(SegmentAllocator allocator, List<String> strings) {
        MemorySegment array = allocator.allocate(C_POINTER, strings.size() + 1L);
        for (int i = 0; i < strings.size(); i++) {
            array.setAtIndex(C_POINTER, i, cString(allocator, strings.get(i)));
        }
        array.setAtIndex(C_POINTER, strings.size(), MemorySegment.NULL);
        return array;
    }

    /**
     * Turns a Throwable from {@code invokeExact} into an unchecked error. Downcalls do not throw
     * checked exceptions; anything here is a linkage bug or a JVM error.
     */
    public static RuntimeException rethrow(Throwable t) {
        if (t instanceof RuntimeException r) throw r;
        if (t instanceof Error e) throw e;
        throw new IllegalStateException("unexpected exception from a native call", t);
    }
}
