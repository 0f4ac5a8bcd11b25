package io.procwarden.cli;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Facts about the running system for {@code procwarden info}; each one is a string, and a fact
 * that cannot be learnt says why instead of failing.
 *
 * <p>Linux reads {@code /proc/sys/kernel}; the C library version comes from glibc's
 * {@code gnu_get_libc_version()} and the macOS kernel release from {@code uname()}, both through
 * {@code java.lang.foreign} (no process is started).
 */
final class SystemFacts {
    private static final boolean LINUX = os().startsWith("linux");
    private static final boolean MACOS = os().startsWith("mac") || os().startsWith("darwin");
    /** macOS {@code struct utsname}: five {@code char[256]} (_SYS_NAMELEN); release is the third. */
    private static final long MACOS_UTSNAME_FIELD = 256;

    private SystemFacts() {}

    /** Operating system name, version and CPU architecture, as the JVM sees them. */
    static String operatingSystem() {
        return System.getProperty("os.name") + " " + System.getProperty("os.version") + " (" + System.getProperty("os.arch") + ")";
    }

    /** The kernel release ({@code uname -r}). */
    static String kernel() {
        if (LINUX) {
            return readProc("/proc/sys/kernel/osrelease");
        }
        if (MACOS) {
            return unameRelease().map(r -> "Darwin " + r).orElse("unknown (uname failed)");
        }
        return "unknown on " + System.getProperty("os.name");
    }

    /** The C library and its version, e.g. {@code glibc 2.36}. */
    static String libc() {
        if (MACOS) {
            return "libSystem (macOS)";
        }
        return glibcVersion().map(v -> "glibc " + v)
                .orElse("unknown (no gnu_get_libc_version: not glibc, perhaps musl)");
    }

    /** The running JDK: version, vendor and home. */
    static String java() {
        return Runtime.version() + " (" + System.getProperty("java.vendor") + ", " + System.getProperty("java.home") + ")";
    }

    /** The largest pid plus one: Linux {@code /proc/sys/kernel/pid_max}, fixed on macOS. */
    static String pidMax() {
        if (LINUX) {
            return readProc("/proc/sys/kernel/pid_max");
        }
        if (MACOS) {
            return "99999 (fixed on macOS)";
        }
        return "unknown on " + System.getProperty("os.name");
    }

    /**
     * This process's peak resident set size ({@code VmHWM} of {@code /proc/self/status}); empty
     * where there is no such file (macOS). On Linux a child's rusage peak is at least its
     * parent's peak at the spawn (exec records the peak of the memory it replaces, and a
     * vfork-style spawn replaces the parent's), so below this value a child's peak is unknown.
     */
    static OptionalLong ownPeakRssBytes() {
        if (!LINUX) {
            return OptionalLong.empty();
        }
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"), StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmHWM:")) { // "VmHWM:     84236 kB"
                    return OptionalLong.of(Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through: unknown
        }
        return OptionalLong.empty();
    }

    /**
     * Reads a small /proc file in one {@code read}: not {@code Files.readString}, which reads a
     * zero-size file one byte first, and a Linux integer sysctl answers a read at a non-zero
     * offset with EOF (pid_max 32768 would read as "3").
     */
    private static String readProc(String file) {
        try (InputStream in = Files.newInputStream(Path.of(file))) {
            return new String(in.readNBytes(4096), StandardCharsets.US_ASCII).strip();
        } catch (IOException e) {
            return "unknown (" + file + ": " + e + ")";
        }
    }

    /** {@code const char *gnu_get_libc_version(void)}; empty where the symbol does not exist. */
    @SuppressWarnings("restricted") // native access is enabled by the jar manifest and the launcher
    private static Optional<String> glibcVersion() {
        Linker linker = Linker.nativeLinker();
        return linker.defaultLookup().find("gnu_get_libc_version").map(address -> {
            MethodHandle call = linker.downcallHandle(address, FunctionDescriptor.of(ValueLayout.ADDRESS));
            try {
                MemorySegment text = (MemorySegment) call.invokeExact();
                return text.reinterpret(64).getString(0);
            } catch (Throwable t) {
                return "unknown (" + t + ")";
            }
        });
    }

    /** {@code int uname(struct utsname *)} on macOS: the release field. */
    @SuppressWarnings("restricted")
    private static Optional<String> unameRelease() {
        Linker linker = Linker.nativeLinker();
        Optional<MemorySegment> address = linker.defaultLookup().find("uname");
        if (address.isEmpty()) {
            return Optional.empty();
        }
        MethodHandle call = linker.downcallHandle(address.get(),
                FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment buf = arena.allocate(5 * MACOS_UTSNAME_FIELD);
            int rc = (int) call.invokeExact(buf);
            if (rc != 0) {
                return Optional.empty();
            }
            return Optional.of(buf.asSlice(2 * MACOS_UTSNAME_FIELD, MACOS_UTSNAME_FIELD).getString(0));
        } catch (Throwable t) {
            return Optional.empty();
        }
    }

    private static String os() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    }
}
