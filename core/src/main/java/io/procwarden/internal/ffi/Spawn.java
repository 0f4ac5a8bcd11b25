package io.procwarden.internal.ffi;

import static io.procwarden.internal.ffi.Native.C_INT;
import static io.procwarden.internal.ffi.Native.C_LONG;
import static io.procwarden.internal.ffi.Native.C_POINTER;
import static io.procwarden.internal.ffi.Native.C_SHORT;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.lang.invoke.MethodHandle;
import java.util.Optional;

/**
 * Bindings for {@code <spawn.h>} and the signal-set functions posix_spawn needs.
 *
 * <p>The posix_spawn functions return an error number; they do not set errno. glibc (since
 * 2.24) runs the child with {@code clone(CLONE_VM|CLONE_VFORK)}, reports exec failures as the
 * return value and reaps the failed child itself. macOS implements posix_spawn as a system call.
 *
 * <p>The opaque types are allocated larger than any C library we know makes them (glibc x86_64:
 * file actions 80 bytes, attributes 336, sigset_t 128; macOS: pointers / 4 bytes).
 */
public final class Spawn {
    private Spawn() {}

    private static final boolean MAC = Platform.current().isMacOs();

    public static final long FILE_ACTIONS_SIZE = 256;
    public static final long ATTR_SIZE = 512;
    public static final long SIGSET_SIZE = 128;

    public static final short POSIX_SPAWN_SETPGROUP = 0x02;
    public static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    public static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** New session: glibc 2.26 (0x80), macOS (0x400). */
    public static final short POSIX_SPAWN_SETSID = MAC ? (short) 0x400 : (short) 0x80;
    /** macOS only: only descriptors named by file actions reach the child. */
    public static final short POSIX_SPAWN_CLOEXEC_DEFAULT = 0x4000;

    private static final FunctionDescriptor SPAWN = FunctionDescriptor.of(C_INT,
            C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER, C_POINTER);

    // int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *file_actions,
    //                 const posix_spawnattr_t *attrp, char *const argv[], char *const envp[]);
    private static final class SpawnH {
        static final MethodHandle MH = Native.function("posix_spawn", SPAWN);
    }

    // int posix_spawn_file_actions_init(posix_spawn_file_actions_t *file_actions);
    private static final class FaInitH {
        static final MethodHandle MH = Native.function("posix_spawn_file_actions_init", FunctionDescriptor.of(C_INT, C_POINTER));
    }

    // int posix_spawn_file_actions_destroy(posix_spawn_file_actions_t *file_actions);
    private static final class FaDestroyH {
        static final MethodHandle MH = Native.function("posix_spawn_file_actions_destroy", FunctionDescriptor.of(C_INT, C_POINTER));
    }

    // int posix_spawn_file_actions_adddup2(posix_spawn_file_actions_t *file_actions, int fildes, int newfildes);
    private static final class FaDup2H {
        static final MethodHandle MH = Native.function("posix_spawn_file_actions_adddup2",
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_INT));
    }

    // int posix_spawn_file_actions_addclose(posix_spawn_file_actions_t *file_actions, int fildes);
    private static final class FaCloseH {
        static final MethodHandle MH = Native.function("posix_spawn_file_actions_addclose",
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
    }

    // int posix_spawn_file_actions_addopen(posix_spawn_file_actions_t *file_actions, int fildes,
    //                                      const char *path, int oflag, mode_t mode);
    private static final class FaOpenH {
        static final MethodHandle MH = Native.function("posix_spawn_file_actions_addopen",
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT, C_POINTER, C_INT, MAC ? C_SHORT : C_INT));
    }

    // int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *fa, const char *path);  glibc 2.29, macOS 10.15
    private static final class FaChdirH {
        static final Optional<MethodHandle> MH = Native.optionalFunction("posix_spawn_file_actions_addchdir_np",
                FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER));
    }

    // int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *fa, int from);  glibc 2.34
    // int posix_spawn_file_actions_addtcsetpgrp_np(posix_spawn_file_actions_t *fa, int tcfd);  (glibc 2.35)
    private static final class FaTcsetpgrpH {
        static final Optional<MethodHandle> MH = Native.optionalFunction("posix_spawn_file_actions_addtcsetpgrp_np",
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
    }

    private static final class FaClosefromH {
        static final Optional<MethodHandle> MH = Native.optionalFunction("posix_spawn_file_actions_addclosefrom_np",
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
    }

    // int posix_spawn_file_actions_addinherit_np(posix_spawn_file_actions_t *fa, int fd);  macOS
    private static final class FaInheritH {
        static final Optional<MethodHandle> MH = Native.optionalFunction("posix_spawn_file_actions_addinherit_np",
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
    }

    // int posix_spawnattr_init(posix_spawnattr_t *attr);
    private static final class AttrInitH {
        static final MethodHandle MH = Native.function("posix_spawnattr_init", FunctionDescriptor.of(C_INT, C_POINTER));
    }

    // int posix_spawnattr_destroy(posix_spawnattr_t *attr);
    private static final class AttrDestroyH {
        static final MethodHandle MH = Native.function("posix_spawnattr_destroy", FunctionDescriptor.of(C_INT, C_POINTER));
    }

    // int posix_spawnattr_setflags(posix_spawnattr_t *attr, short flags);
    private static final class AttrFlagsH {
        static final MethodHandle MH = Native.function("posix_spawnattr_setflags",
                FunctionDescriptor.of(C_INT, C_POINTER, C_SHORT));
    }

    // int posix_spawnattr_setsigmask(posix_spawnattr_t *attr, const sigset_t *sigmask);
    private static final class AttrSigmaskH {
        static final MethodHandle MH = Native.function("posix_spawnattr_setsigmask",
                FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER));
    }

    // int posix_spawnattr_setsigdefault(posix_spawnattr_t *attr, const sigset_t *sigdefault);
    private static final class AttrSigdefaultH {
        static final MethodHandle MH = Native.function("posix_spawnattr_setsigdefault",
                FunctionDescriptor.of(C_INT, C_POINTER, C_POINTER));
    }

    // int posix_spawnattr_setpgroup(posix_spawnattr_t *attr, pid_t pgroup);
    private static final class AttrPgroupH {
        static final MethodHandle MH = Native.function("posix_spawnattr_setpgroup",
                FunctionDescriptor.of(C_INT, C_POINTER, C_INT));
    }

    // int sigemptyset(sigset_t *set);   int sigfillset(sigset_t *set);
    private static final class SigsetH {
        static final MethodHandle EMPTY = Native.function("sigemptyset", FunctionDescriptor.of(C_INT, C_POINTER));
        static final MethodHandle FILL = Native.function("sigfillset", FunctionDescriptor.of(C_INT, C_POINTER));
    }

    // extern char **environ;  (macOS: char ***_NSGetEnviron(void))
    private static final class EnvironH {
        static final MethodHandle NS_GET_ENVIRON =
                MAC ? Native.function("_NSGetEnviron", FunctionDescriptor.of(C_POINTER)) : null;
    }

    /** Calls posix_spawn; returns 0 or the error number. */
    public static int spawn(MemorySegment pidOut, MemorySegment path, MemorySegment fileActions, MemorySegment attr,
            MemorySegment argv, MemorySegment envp) {
        try {
            return (int) SpawnH.MH.invokeExact(pidOut, path, fileActions, attr, argv, envp);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int fileActionsInit(MemorySegment fa) {
        try {
            return (int) FaInitH.MH.invokeExact(fa);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int fileActionsDestroy(MemorySegment fa) {
        try {
            return (int) FaDestroyH.MH.invokeExact(fa);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int addDup2(MemorySegment fa, int fd, int newFd) {
        try {
            return (int) FaDup2H.MH.invokeExact(fa, fd, newFd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int addClose(MemorySegment fa, int fd) {
        try {
            return (int) FaCloseH.MH.invokeExact(fa, fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int addOpen(MemorySegment fa, int fd, MemorySegment path, int flags, int mode) {
        try {
            return MAC
                    ? (int) FaOpenH.MH.invokeExact(fa, fd, path, flags, (short) mode)
                    : (int) FaOpenH.MH.invokeExact(fa, fd, path, flags, mode);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** True if this C library has posix_spawn_file_actions_addchdir_np. */
    public static boolean hasAddChdir() {
        return FaChdirH.MH.isPresent();
    }

    public static int addChdir(MemorySegment fa, MemorySegment path) {
        try {
            return (int) FaChdirH.MH.orElseThrow().invokeExact(fa, path);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** True if this C library has posix_spawn_file_actions_addtcsetpgrp_np (glibc 2.35; not macOS). */
    public static boolean hasAddTcsetpgrp() {
        return FaTcsetpgrpH.MH.isPresent();
    }

    /**
     * A file action that makes the child's process group (after POSIX_SPAWN_SETPGROUP, which
     * glibc applies first) the foreground group of the terminal on {@code fd}.
     */
    public static int addTcsetpgrp(MemorySegment fa, int fd) {
        try {
            return (int) FaTcsetpgrpH.MH.orElseThrow().invokeExact(fa, fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** True if this C library has posix_spawn_file_actions_addclosefrom_np (glibc 2.34). */
    public static boolean hasAddClosefrom() {
        return FaClosefromH.MH.isPresent();
    }

    public static int addClosefrom(MemorySegment fa, int from) {
        try {
            return (int) FaClosefromH.MH.orElseThrow().invokeExact(fa, from);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** True if this C library has posix_spawn_file_actions_addinherit_np (macOS). */
    public static boolean hasAddInherit() {
        return FaInheritH.MH.isPresent();
    }

    public static int addInherit(MemorySegment fa, int fd) {
        try {
            return (int) FaInheritH.MH.orElseThrow().invokeExact(fa, fd);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int attrInit(MemorySegment attr) {
        try {
            return (int) AttrInitH.MH.invokeExact(attr);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int attrDestroy(MemorySegment attr) {
        try {
            return (int) AttrDestroyH.MH.invokeExact(attr);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int attrSetFlags(MemorySegment attr, short flags) {
        try {
            return (int) AttrFlagsH.MH.invokeExact(attr, flags);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int attrSetSigmask(MemorySegment attr, MemorySegment sigset) {
        try {
            return (int) AttrSigmaskH.MH.invokeExact(attr, sigset);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int attrSetSigdefault(MemorySegment attr, MemorySegment sigset) {
        try {
            return (int) AttrSigdefaultH.MH.invokeExact(attr, sigset);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    public static int attrSetPgroup(MemorySegment attr, int pgroup) {
        try {
            return (int) AttrPgroupH.MH.invokeExact(attr, pgroup);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }

    /** Allocates an empty signal set. */
    public static MemorySegment emptySigset(SegmentAllocator allocator) {
        MemorySegment set = allocator.allocate(SIGSET_SIZE, 8);
        try {
            int r = (int) SigsetH.EMPTY.invokeExact(set);
            if (r != 0) throw new IllegalStateException("sigemptyset failed");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return set;
    }

    /** Allocates a full signal set. */
    public static MemorySegment fullSigset(SegmentAllocator allocator) {
        MemorySegment set = allocator.allocate(SIGSET_SIZE, 8);
        try {
            int r = (int) SigsetH.FILL.invokeExact(set);
            if (r != 0) throw new IllegalStateException("sigfillset failed");
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
        return set;
    }

    /**
     * A set of every signal for {@code posix_spawnattr_setsigdefault}, including glibc's internal
     * ones. glibc's sigfillset leaves out signals 32 and 33 (SIGCANCEL, SIGSETXID), and its spawn
     * child sets any signal not in the set to SIG_IGN (so the parent's handlers cannot run in
     * the vfork'd child); SIG_IGN survives exec, so the program would start with 32 and 33
     * ignored. glibc's sigaddset refuses those numbers, so the bits (signal n is bit n-1 of the
     * first {@code unsigned long}) are set directly.
     */
    public static MemorySegment everySignalSet(SegmentAllocator allocator) {
        MemorySegment set = fullSigset(allocator);
        if (Platform.current().isLinux()) {
            set.set(C_LONG, 0, -1L); // signals 1..64
        }
        return set;
    }

    /** The process's current {@code char **environ}, read at each call (setenv may move it). */
    public static MemorySegment environ() {
        try {
            if (MAC) {
                MemorySegment p = (MemorySegment) EnvironH.NS_GET_ENVIRON.invokeExact();
                return p.reinterpret(C_LONG.byteSize()).get(C_POINTER, 0);
            }
            MemorySegment var = Native.find("environ").orElseThrow(() -> new UnsatisfiedLinkError("no environ"));
            return var.reinterpret(C_LONG.byteSize()).get(C_POINTER, 0);
        } catch (Throwable t) {
            throw Native.rethrow(t);
        }
    }
}
