package io.procwarden.internal.ffi;

import java.util.Locale;

/** The operating system and CPU this JVM runs on, decided once. */
public enum Platform {
    LINUX_X86_64, LINUX_AARCH64, MACOS_X86_64, MACOS_AARCH64, OTHER;

    private static final Platform CURRENT = detect();

    /** The platform of the running JVM. */
    public static Platform current() {
        return CURRENT;
    }

    public boolean isLinux() {
        return this == LINUX_X86_64 || this == LINUX_AARCH64;
    }

    public boolean isMacOs() {
        return this == MACOS_X86_64 || this == MACOS_AARCH64;
    }

    private static Platform detect() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        boolean arm = arch.equals("aarch64") || arch.equals("arm64");
        if (os.startsWith("linux")) {
            return x86 ? LINUX_X86_64 : arm ? LINUX_AARCH64 : OTHER;
        }
        if (os.startsWith("mac") || os.startsWith("darwin")) {
            return x86 ? MACOS_X86_64 : arm ? MACOS_AARCH64 : OTHER;
        }
        return OTHER;
    }
}
