package dev.llamasimd.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.llamasimd.testing.Jvm;
import dev.llamasimd.testing.Shared;
import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.reflect.Executable;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The module {@code dev.llamasimd} as a library user sees it: one exported package of at most
 * ten public types whose signatures name no internal type, and the README's embedding example
 * compiled and run as a module of its own, on the module path, with the shipped model.
 */
class ModuleTest {
    private static final Path CLASSES = Path.of("target/classes");
    private static final String API = "dev.llamasimd.generate";

    private static ModuleDescriptor descriptor;

    @BeforeAll
    static void read() {
        descriptor = ModuleFinder.of(CLASSES).find("dev.llamasimd").orElseThrow().descriptor();
    }

    @Test
    void exportsOnlyTheApiAndOpensOnlyTheCommandLineToPicocli() {
        assertEquals(Set.of(API), descriptor.exports().stream()
                .peek(e -> assertFalse(e.isQualified(), e.toString()))
                .map(ModuleDescriptor.Exports::source).collect(Collectors.toSet()));
        assertEquals(List.of("dev.llamasimd.cli to [info.picocli]"),
                descriptor.opens().stream().map(ModuleDescriptor.Opens::toString).toList());
        assertTrue(descriptor.packages().size() > 5, "the module holds the internal packages too: " + descriptor.packages());
    }

    @Test
    void theApiIsAtMostTenPublicTypesAndNamesNothingInternal() throws Exception {
        List<Class<?>> topLevel = new ArrayList<>();
        List<Class<?>> all = new ArrayList<>();
        try (Stream<Path> files = Files.list(CLASSES.resolve(API.replace('.', '/')))) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (!name.endsWith(".class") || name.equals("package-info.class")) {
                    continue;
                }
                Class<?> c = Class.forName(API + "." + name.substring(0, name.length() - ".class".length()));
                if (isVisible(c)) {
                    all.add(c);
                    if (c.getEnclosingClass() == null) {
                        topLevel.add(c);
                    }
                }
            }
        }
        assertTrue(topLevel.size() <= 10, "public API types: " + topLevel);
        Set<String> internal = new TreeSet<>();
        for (Class<?> c : all) {
            for (Type t : signature(c)) {
                for (String n : typeNames(t)) {
                    if (n.startsWith("dev.llamasimd.") && !n.startsWith(API + ".")) {
                        internal.add(c.getSimpleName() + " names " + n);
                    }
                }
            }
        }
        assertEquals(Set.of(), internal);
    }

    private static boolean isVisible(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers()) || k.isAnonymousClass() || k.isLocalClass()) {
                return false;
            }
        }
        return true;
    }

    /** Every type a user of {@code c} can see: supertypes, and the public or protected members' types. */
    private static List<Type> signature(Class<?> c) {
        List<Type> types = new ArrayList<>();
        types.add(c.getGenericSuperclass());
        types.addAll(Arrays.asList(c.getGenericInterfaces()));
        List<Executable> members = new ArrayList<>();
        members.addAll(Arrays.asList(c.getDeclaredConstructors()));
        members.addAll(Arrays.asList(c.getDeclaredMethods()));
        for (Executable e : members) {
            if (visible(e.getModifiers()) && !e.isSynthetic()) {
                types.addAll(Arrays.asList(e.getGenericParameterTypes()));
                types.addAll(Arrays.asList(e.getGenericExceptionTypes()));
                if (e instanceof Method m) {
                    types.add(m.getGenericReturnType());
                }
            }
        }
        for (Field f : c.getDeclaredFields()) {
            if (visible(f.getModifiers())) {
                types.add(f.getGenericType());
            }
        }
        if (c.isRecord()) {
            for (RecordComponent rc : c.getRecordComponents()) {
                types.add(rc.getGenericType());
            }
        }
        return types;
    }

    private static boolean visible(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    /** The class names a type mentions, type arguments included. */
    private static List<String> typeNames(Type t) {
        if (t == null) {
            return List.of();
        }
        List<String> names = new ArrayList<>();
        Matcher m = Pattern.compile("[a-zA-Z_$][\\w$]*(\\.[a-zA-Z_$][\\w$]*)+").matcher(t.getTypeName());
        while (m.find()) {
            names.add(m.group());
        }
        return names;
    }

    @Test
    void theReadmeExampleCompilesAsAModuleAndRunsOnTheModulePath(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("com/example"));
        Files.writeString(src.resolve("module-info.java"), "module example { requires dev.llamasimd; }\n");
        String example = readmeExample();
        Files.writeString(src.resolve("com/example/Embed.java"), example);
        Path out = dir.resolve("out");
        Compiled c = compile(out, src.resolve("module-info.java"), src.resolve("com/example/Embed.java"));
        assertTrue(c.ok(), "the README's example does not compile against the module:\n" + c.diagnostics());

        Jvm.Run run = Jvm.run(List.of(java(), "--module-path", modulePath(out), "-m", "example/com.example.Embed"));
        assertEquals(0, run.exit(), run.output());

        String expected;
        try (LlamaModel model = LlamaModel.load(Shared.weights("tiny-kjv-Q8_0.gguf"));
             Session session = model.newSession()) {
            expected = session.generate("And God said",
                    GenerationParams.of(SamplingParams.DEFAULTS.withSeed(42), 64), piece -> { }).text();
        }
        assertTrue(expected.length() > 20, expected);
        assertTrue(run.output().contains(expected), "expected the in-process text\n" + expected + "\nin\n" + run.output());
    }

    @Test
    void aModuleCannotReachTheInternals(@TempDir Path dir) throws Exception {
        Path src = dir.resolve("src");
        Files.createDirectories(src.resolve("com/example"));
        Files.writeString(src.resolve("module-info.java"), "module example { requires dev.llamasimd; }\n");
        Files.writeString(src.resolve("com/example/Peek.java"),
                "package com.example; public class Peek { dev.llamasimd.model.Llama llama; }\n");
        Compiled c = compile(dir.resolve("out"), src.resolve("module-info.java"), src.resolve("com/example/Peek.java"));
        assertFalse(c.ok());
        assertTrue(c.diagnostics().contains("package dev.llamasimd.model is not visible"), c.diagnostics());
    }

    /** The first {@code java} block of the README's "Java API" section: a whole program. */
    private static String readmeExample() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        int section = readme.indexOf("\n## Java API");
        assertTrue(section >= 0, "README has no Java API section");
        int start = readme.indexOf("```java\n", section) + "```java\n".length();
        String block = readme.substring(start, readme.indexOf("```", start));
        assertTrue(block.startsWith("package com.example;"), block);
        assertTrue(block.lines().count() <= 25, "the embedding example is meant to be short:\n" + block);
        return block;
    }

    private record Compiled(boolean ok, String diagnostics) {}

    private static Compiled compile(Path out, Path... sources) {
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        List<String> options = List.of("-d", out.toString(), "--module-path", modulePath(), "-Xlint:all,-incubating");
        boolean ok = javac.getTask(diagnostics, null, null, options, null,
                javac.getStandardFileManager(null, null, null).getJavaFileObjects(sources)).call();
        return new Compiled(ok, diagnostics.toString());
    }

    /** The module and its required libraries, from this test run's class path; then {@code extra}. */
    private static String modulePath(Path... extra) {
        List<String> path = new ArrayList<>();
        path.add(CLASSES.toAbsolutePath().toString());
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            String name = Path.of(e).getFileName().toString();
            if (name.startsWith("fastutil-") || name.startsWith("jackson-")) {
                path.add(e);
            }
        }
        for (Path p : extra) {
            path.add(p.toAbsolutePath().toString());
        }
        return String.join(File.pathSeparator, path);
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
