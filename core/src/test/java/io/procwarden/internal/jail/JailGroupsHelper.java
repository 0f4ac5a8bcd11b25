package io.procwarden.internal.jail;

import io.procwarden.ChildProcess;
import io.procwarden.JailSpec;
import io.procwarden.ProcessSpec;
import io.procwarden.Redirect;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Runs in a JVM of its own, started by {@link JailCredentialsTest} with supplementary groups (a
 * JVM under test usually has none, so clearing them would prove nothing): prints the
 * {@code Groups:} line of jailed children whose groups are not set, cleared, or set.
 */
public final class JailGroupsHelper {
    private JailGroupsHelper() {}

    public static void main(String[] args) throws Exception {
        Map<String, JailSpec> specs = new LinkedHashMap<>();
        specs.put("unset", JailSpec.none().noNewPrivileges());
        specs.put("cleared", JailSpec.none().clearSupplementaryGroups());
        specs.put("set", JailSpec.none().supplementaryGroups(5151));
        specs.put("user", JailSpec.none().user(0, 0));
        for (Map.Entry<String, JailSpec> e : specs.entrySet()) {
            try (ChildProcess p = ProcessSpec.of("/bin/cat", "/proc/self/status").stdin(Redirect.DISCARD)
                    .stdout(Redirect.PIPE).jail(e.getValue()).spawn()) {
                String status = new String(p.stdout().readAllBytes(), StandardCharsets.US_ASCII);
                p.waitFor();
                System.out.println(e.getKey() + " " + JailFixture.status(status, "Groups"));
            }
        }
    }
}
