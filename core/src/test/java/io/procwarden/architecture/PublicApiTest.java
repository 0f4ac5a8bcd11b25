package io.procwarden.architecture;

import static org.assertj.core.api.Assertions.assertThat;

import io.procwarden.ProcessMonitor;
import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleReference;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Member;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.lang.reflect.TypeVariable;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Pins the public API: {@code core/api/procwarden-core.api} lists every public and protected
 * type and member of the module's exported packages (as Okio's api file does), and this test
 * fails when the compiled classes say otherwise, so no surface change goes unnoticed in review.
 *
 * <p>After a deliberate change, regenerate the file and commit it with the change:
 * <pre>
 * mvn -B -pl core test -Dtest=PublicApiTest -Dprocwarden.api.update=true
 * </pre>
 * (the extra surefire executions run it again with the same flag: harmless, same output).
 *
 * <p>Format, one type after another in binary-name order: the type's header (modifiers, kind,
 * name, type parameters, supertypes, permitted subtypes), then its fields, constructors and
 * methods, each group sorted, one per line, indented by two spaces. Members are as
 * {@link Member}'s {@code toGenericString()} prints them, without the declaring type's prefix;
 * a constant field also shows its value. Read from the module's own location (the compiled
 * main classes), never from the test classes patched into the module.
 */
class PublicApiTest {
    static final String UPDATE_PROPERTY = "procwarden.api.update";
    static final String REGENERATE = "mvn -B -pl core test -Dtest=PublicApiTest -D" + UPDATE_PROPERTY + "=true";
    private static final Path FILE = Path.of(System.getProperty("basedir", System.getProperty("user.dir")), "api", "procwarden-core.api");

    @Test
    void theApiFileMatchesTheCompiledClasses() throws IOException {
        String actual = dump(ProcessMonitor.class.getModule());
        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            Files.createDirectories(FILE.getParent());
            Files.writeString(FILE, actual, StandardCharsets.UTF_8);
        }
        assertThat(Files.exists(FILE)).as("%s is missing; generate it with:%n  %s", FILE, REGENERATE).isTrue();
        String pinned = Files.readString(FILE, StandardCharsets.UTF_8);
        if (!pinned.equals(actual)) {
            throw new AssertionError("The public API changed and " + FILE + " does not say so.\n"
                    + "If the change is meant, regenerate the file and commit it with the change:\n  " + REGENERATE + "\n"
                    + difference(pinned, actual));
        }
    }

    @Test
    void theDumpSeesTheWholeSurfaceAndNothingElse() throws IOException {
        String dump = dump(ProcessMonitor.class.getModule());
        // A public member, a nested public type, an enum constant, a record component.
        assertThat(dump).contains("public static io.procwarden.ProcessMonitor shared()")
                .contains("io.procwarden.ExitStatus$Signaled")
                .contains("public static final io.procwarden.Signal KILL");
        // Never internals, test classes patched into the module, or non-public members.
        assertThat(dump).doesNotContain("io.procwarden.internal").doesNotContain("TestAccess")
                .doesNotContain("io.procwarden.architecture").doesNotContain(" private ");
    }

    /** The API of every unqualified export of {@code module}, from its compiled classes. */
    static String dump(Module module) throws IOException {
        ModuleDescriptor d = module.getDescriptor();
        Set<String> exported = d.exports().stream().filter(e -> !e.isQualified())
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
        ModuleReference ref = module.getLayer().configuration().findModule(module.getName()).orElseThrow().reference();
        URI location = ref.location().orElseThrow(() -> new IllegalStateException("no location for " + module));
        List<Class<?>> types = new ArrayList<>();
        try (var reader = ref.open(); Stream<String> names = reader.list()) {
            for (String name : names.filter(n -> n.endsWith(".class") && !n.endsWith("module-info.class")).sorted().toList()) {
                String binary = name.substring(0, name.length() - ".class".length()).replace('/', '.');
                int dot = binary.lastIndexOf('.');
                if (dot < 0 || !exported.contains(binary.substring(0, dot))) continue;
                Class<?> c = load(binary, module);
                // The reader also lists the test classes patched into the module: keep the module's own.
                if (isVisible(c) && location.equals(codeSource(c))) types.add(c);
            }
        }
        types.sort(Comparator.comparing(Class::getName));
        StringBuilder out = new StringBuilder()
                .append("# The public API of module ").append(d.name()).append(" (exported: ")
                .append(exported.stream().sorted().collect(Collectors.joining(", "))).append(").\n")
                .append("# Generated from the compiled classes by PublicApiTest; do not edit. Regenerate:\n")
                .append("#   ").append(REGENERATE).append('\n');
        if (types.isEmpty()) throw new IllegalStateException("no public types found at " + location);
        for (Class<?> c : types) {
            out.append('\n').append(header(c)).append('\n');
            String prefix = c.getName() + ".";
            List<String> fields = new ArrayList<>();
            for (Field f : c.getDeclaredFields()) {
                if (isVisible(f) && !f.isSynthetic()) fields.add(strip(f.toGenericString(), prefix) + constant(f));
            }
            List<String> constructors = new ArrayList<>();
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (isVisible(k) && !k.isSynthetic()) constructors.add(k.toGenericString());
            }
            List<String> methods = new ArrayList<>();
            for (Method m : c.getDeclaredMethods()) {
                if (isVisible(m) && !m.isSynthetic() && !m.isBridge()) methods.add(strip(m.toGenericString(), prefix));
            }
            for (List<String> group : List.of(fields, constructors, methods)) {
                group.stream().sorted().forEach(line -> out.append("  ").append(line).append('\n'));
            }
        }
        return out.toString();
    }

    private static Class<?> load(String binary, Module module) {
        try {
            return Class.forName(binary, false, module.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new IllegalStateException("listed in the module but not loadable: " + binary, e);
        }
    }

    private static URI codeSource(Class<?> c) {
        try {
            return c.getProtectionDomain().getCodeSource().getLocation().toURI();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException("code source of " + c.getName(), e);
        }
    }

    /** Public or protected, and so is every enclosing type (a public member of a hidden type is not API). */
    private static boolean isVisible(Class<?> c) {
        if (c.isSynthetic() || c.isAnonymousClass() || c.isLocalClass()) return false;
        for (Class<?> k = c; k != null; k = k.getDeclaringClass()) {
            if (!isVisible(k.getModifiers())) return false;
        }
        return true;
    }

    private static boolean isVisible(Member m) {
        return isVisible(m.getModifiers());
    }

    private static boolean isVisible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static String header(Class<?> c) {
        List<String> words = new ArrayList<>();
        int mods = c.getModifiers() & Modifier.classModifiers();
        if (c.isInterface()) mods &= ~Modifier.ABSTRACT; // implied
        if (c.isEnum() || c.isRecord()) mods &= ~Modifier.FINAL; // implied (an enum with bodies is not final anyway)
        if (!Modifier.toString(mods).isEmpty()) words.add(Modifier.toString(mods));
        if (c.isSealed()) words.add("sealed");
        words.add(c.isAnnotation() ? "@interface" : c.isInterface() ? "interface" : c.isEnum() ? "enum" : c.isRecord() ? "record" : "class");
        words.add(c.getName() + typeParameters(c.getTypeParameters()));
        Type sup = c.getGenericSuperclass();
        if (sup != null && sup != Object.class && !c.isEnum() && !c.isRecord()) words.add("extends " + sup.getTypeName());
        Type[] interfaces = c.getGenericInterfaces();
        if (interfaces.length > 0 && !c.isAnnotation()) {
            words.add((c.isInterface() ? "extends " : "implements ")
                    + Arrays.stream(interfaces).map(Type::getTypeName).collect(Collectors.joining(", ")));
        }
        if (c.isSealed()) {
            words.add("permits " + Arrays.stream(c.getPermittedSubclasses()).map(Class::getName).sorted()
                    .collect(Collectors.joining(", ")));
        }
        return String.join(" ", words);
    }

    private static String typeParameters(TypeVariable<?>[] vars) {
        if (vars.length == 0) return "";
        Set<String> out = new LinkedHashSet<>();
        for (TypeVariable<?> v : vars) {
            List<String> bounds = Arrays.stream(v.getBounds()).filter(b -> b != Object.class).map(Type::getTypeName).toList();
            out.add(bounds.isEmpty() ? v.getName() : v.getName() + " extends " + String.join(" & ", bounds));
        }
        return "<" + String.join(", ", out) + ">";
    }

    /** " = value" for a static final primitive or String field (a constant callers compile in). */
    private static String constant(Field f) {
        int m = f.getModifiers();
        if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || !(f.getType().isPrimitive() || f.getType() == String.class)) return "";
        try {
            Object v = f.get(null);
            return " = " + (v instanceof String s ? '"' + s + '"' : String.valueOf(v));
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read constant " + f, e);
        }
    }

    private static String strip(String text, String prefix) {
        return text.replace(prefix, "");
    }

    /** The lines only the file has and the lines only the classes have, for the failure message. */
    private static String difference(String pinned, String actual) {
        List<String> was = pinned.lines().toList();
        List<String> now = actual.lines().toList();
        StringBuilder b = new StringBuilder();
        was.stream().filter(l -> !now.contains(l)).forEach(l -> b.append("- ").append(l).append('\n'));
        now.stream().filter(l -> !was.contains(l)).forEach(l -> b.append("+ ").append(l).append('\n'));
        return b.isEmpty() ? "(same lines, different order or spacing)" : "- in the file only, + in the classes only:\n" + b;
    }
}
