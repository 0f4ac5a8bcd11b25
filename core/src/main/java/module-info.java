/**
 * procwarden: spawn, jail and supervise operating-system processes.
 *
 * <p>The public API is the {@code io.procwarden} package. Everything under
 * {@code io.procwarden.internal} is implementation (native bindings, backends)
 * and is not exported.
 *
 * <p>The module calls native code through {@code java.lang.foreign}; run it with
 * {@code --enable-native-access=io.procwarden} (or {@code ALL-UNNAMED} on the
 * class path) to avoid restricted-method warnings.
 */
module io.procwarden {
    exports io.procwarden;
}
