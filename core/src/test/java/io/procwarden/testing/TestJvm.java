package io.procwarden.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The command for a child JVM that runs a test helper's {@code main} the way this test JVM runs:
 * on the module path, with the test classes patched into {@code io.procwarden}, when the tests
 * run so (surefire's default here); on the class path otherwise.
 *
 * <p>On the module path the library's classes are not on {@code java.class.path}, so a child
 * started with {@code -cp java.class.path} alone would not find them.
 */
public final class TestJvm {
    private TestJvm() {}

    /** {@code java [options] <main> [args]}, in this JVM's mode (module path or class path). */
    public static List<String> command(Class<?> main, List<String> options, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        Module module = main.getModule();
        if (module.isNamed()) {
            String name = module.getName();
            cmd.add("--module-path");
            cmd.add(required("jdk.module.path"));
            cmd.add("--patch-module=" + name + "=" + codeSource(main)); // where the test classes are
            cmd.add("--add-reads=" + name + "=ALL-UNNAMED"); // the helpers' test libraries are on the class path
            cmd.add("--enable-native-access=" + name);
            cmd.addAll(options);
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add("-m");
            cmd.add(name + "/" + main.getName());
        } else {
            cmd.add("--enable-native-access=ALL-UNNAMED");
            cmd.addAll(options);
            cmd.add("-cp");
            cmd.add(System.getProperty("java.class.path"));
            cmd.add(main.getName());
        }
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** The directory or jar {@code main} was loaded from (the patch: this JVM hides its own --patch-module). */
    private static String codeSource(Class<?> main) {
        try {
            return Path.of(main.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("code source of " + main.getName(), e);
        }
    }

    private static String required(String property) {
        String v = System.getProperty(property);
        if (v == null) throw new IllegalStateException("a named-module test JVM without " + property);
        return v;
    }
}
