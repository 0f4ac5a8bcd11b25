package io.procwarden.internal.ffi;

/**
 * Says once, before the JDK's own restricted-method warnings, which flag makes them go: a
 * library that calls {@code Linker.downcallHandle} without native access enabled for its module
 * gets a warning per module from the JDK (and, in a later JDK, an error). The check is one
 * {@link Module#isNativeAccessEnabled()} call; the executable jar's manifest already has
 * {@code Enable-Native-Access: ALL-UNNAMED}, so {@code java -jar} users never see this.
 */
final class NativeAccessCheck {
    private NativeAccessCheck() {}

    private static volatile boolean done;

    /** Logs one WARNING naming the flag if this module may not call native code without one. */
    static void warnOnce() {
        if (done) return;
        done = true;
        Module m = NativeAccessCheck.class.getModule();
        if (m.isNativeAccessEnabled()) return;
        String flag = m.isNamed() ? "--enable-native-access=" + m.getName() : "--enable-native-access=ALL-UNNAMED";
        System.getLogger("io.procwarden").log(System.Logger.Level.WARNING,
                "procwarden calls native code through java.lang.foreign: run java with " + flag
                        + " (" + (m.isNamed() ? "module path" : "class path")
                        + ") to silence the JDK's restricted-method warnings that follow");
    }
}
