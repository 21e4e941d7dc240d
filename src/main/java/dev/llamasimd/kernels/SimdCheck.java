package dev.llamasimd.kernels;

import com.sun.management.HotSpotDiagnosticMXBean;
import com.sun.management.VMOption;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;

/**
 * Whether this JVM compiles the Vector API to SIMD instructions. Without that every kernel still
 * gives the right numbers, only 5 to 100 times slower, and nothing else would say why.
 *
 * <p>Two checks, done once per JVM on a daemon thread of their own, started by the first call to
 * {@link #flags()} or {@link #timed()}. The first reads the VM options that turn the Vector API's
 * compilation off ({@code -Xint}, {@code -XX:-EnableVectorSupport}, {@code -XX:TieredStopAtLevel}
 * below 4, {@code -XX:UseAVX=0}, ...) from HotSpot's diagnostic bean (tens of milliseconds of
 * JMX start-up, which overlap a model's load). The second times a vector dot product against its
 * scalar twin until C2 has compiled it: it catches what no option says (another JVM or JIT), but
 * waits for the JIT, a few hundred milliseconds in a fresh JVM.
 *
 * @param bits         the vector width the kernels use ({@link Vec#F})
 * @param lanes        float lanes per vector
 * @param instructions the CPU's vector instructions as HotSpot uses them ({@code AVX2},
 *                     {@code AVX-512}, {@code NEON}, ...), or null where it does not say
 * @param problem      why the Vector API will not be compiled to SIMD; null when it will
 * @param fix          what to change; null when nothing needs to
 * @param measured     the timed check's finding; null when only the flags were read
 */
public record SimdCheck(int bits, int lanes, String instructions, String problem, String fix, String measured) {

    /** Floats per operand of the timed dot product (two arrays of 4 KB). */
    private static final int N = 1024;
    /** Dot products per timed batch. */
    private static final int CALLS = 16;
    /** Batches in a row in which the vector dot must win. */
    private static final int WINS = 3;
    /** How much faster than its scalar twin a compiled vector dot must be. */
    private static final double SPEED_UP = 1.5;
    /** The timed check's limit: C2 compiles a hot loop long before, unless it never will. */
    private static final long BUDGET_NANOS = 3_000_000_000L;

    /** Keeps the timed dot products from being optimised away. */
    private static volatile float sink;

    /** True when the Vector API will be compiled to SIMD. */
    public boolean simd() {
        return problem == null;
    }

    /** One line for a log or a terminal: the vector width, whether it is SIMD, and if not, why and the fix. */
    public String line() {
        String width = bits + "-bit vectors of " + lanes + " floats" + (instructions == null ? "" : " on " + instructions);
        if (simd()) {
            return "Vector API: " + width + ", compiled to SIMD" + (measured == null ? "" : "; " + measured);
        }
        return "the Vector API will NOT be compiled to SIMD (" + width + "): " + problem
                + "; every kernel runs 5 to 100 times slower. Fix: " + fix;
    }

    /**
     * Returns quietly when the Vector API will be compiled to SIMD.
     *
     * @throws IllegalStateException naming the cause and the fix when it will not
     */
    public void require() {
        if (!simd()) {
            throw new IllegalStateException("SIMD is required, but " + line());
        }
    }

    /** Starts the checks, if they have not started, so that they run beside other work (a model's load). */
    public static void start() {
        flags();
    }

    /** What the VM options say. */
    public static CompletableFuture<SimdCheck> flags() {
        return Started.CHECKS.flags.copy();
    }

    /** The flags' verdict when they name a problem, else the timed check's. */
    public static CompletableFuture<SimdCheck> timed() {
        return Started.CHECKS.timed.copy();
    }

    private record Started(CompletableFuture<SimdCheck> flags, CompletableFuture<SimdCheck> timed) {
        static final Started CHECKS = launch();

        private static Started launch() {
            CompletableFuture<SimdCheck> flags = new CompletableFuture<>();
            CompletableFuture<SimdCheck> timed = new CompletableFuture<>();
            Thread.ofPlatform().daemon().name("llama-simd-self-check").start(() -> {
                try {
                    SimdCheck read = read();
                    flags.complete(read);
                    timed.complete(read.simd() ? time(read) : read);
                } catch (RuntimeException | Error e) {
                    flags.completeExceptionally(e);
                    timed.completeExceptionally(e);
                }
            });
            return new Started(flags, timed);
        }
    }

    private static SimdCheck read() {
        HotSpotDiagnosticMXBean hotSpot = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        String arch = System.getProperty("os.arch", "");
        boolean x86 = arch.equals("amd64") || arch.equals("x86_64");
        String avx = option(hotSpot, "UseAVX");
        String instructions = null;
        if (x86 && avx != null) {
            instructions = switch (avx) {
                case "0" -> "SSE";
                case "1" -> "AVX";
                case "2" -> "AVX2";
                default -> "AVX-512";
            };
        } else if (arch.equals("aarch64")) {
            String sve = option(hotSpot, "UseSVE");
            instructions = sve == null ? null : sve.equals("0") ? "NEON" : "SVE";
        }
        String problem = null;
        String fix = null;
        boolean interpreted = System.getProperty("java.vm.info", "").contains("interpreted mode");
        if (interpreted || "false".equals(option(hotSpot, "UseCompiler"))) {
            String flag = interpreted ? "-Xint" : "-XX:-UseCompiler";
            problem = "the JIT compilers are off (" + flag + "), so every method is interpreted";
            fix = "remove " + flag;
        } else if ("false".equals(option(hotSpot, "EnableVectorSupport"))) {
            problem = "the Vector API's intrinsics are off (-XX:-EnableVectorSupport), so its vectors are plain Java objects";
            fix = "remove -XX:-EnableVectorSupport";
        } else if ("true".equals(option(hotSpot, "TieredCompilation")) && level(option(hotSpot, "TieredStopAtLevel")) < 4) {
            String flag = "-XX:TieredStopAtLevel=" + option(hotSpot, "TieredStopAtLevel");
            problem = "C2, the JIT compiler that turns the Vector API into SIMD instructions, is off (" + flag + ")";
            fix = "remove " + flag;
        } else if ("quick-only".equals(option(hotSpot, "CompilationMode"))) {
            problem = "C2, the JIT compiler that turns the Vector API into SIMD instructions, is off (-XX:CompilationMode=quick-only)";
            fix = "remove -XX:CompilationMode=quick-only";
        } else if (x86 && "0".equals(avx)) {
            if (setOnCommandLine(hotSpot, "UseAVX")) {
                problem = "AVX is off (-XX:UseAVX=0), and without it C2 does not compile the Vector API's floating-point vectors";
                fix = "remove -XX:UseAVX=0";
            } else {
                problem = "this CPU offers the JVM no AVX, and without it C2 does not compile the Vector API's floating-point vectors";
                fix = "run on a CPU (or a virtual machine type) with AVX2 or AVX-512";
            }
        }
        return new SimdCheck(Vec.F.vectorBitSize(), Vec.L, instructions, problem, fix, null);
    }

    /** The option's value, or null where the JVM is not HotSpot or has no such option (or keeps it locked at its default). */
    private static String option(HotSpotDiagnosticMXBean hotSpot, String name) {
        if (hotSpot == null) {
            return null;
        }
        try {
            return hotSpot.getVMOption(name).getValue();
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static boolean setOnCommandLine(HotSpotDiagnosticMXBean hotSpot, String name) {
        try {
            return hotSpot.getVMOption(name).getOrigin() == VMOption.Origin.VM_CREATION;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static int level(String value) {
        return value == null ? 4 : Integer.parseInt(value);
    }

    /**
     * Batches of {@link #CALLS} dot products, the vector kernel's then the scalar twin's, until the
     * vector batch allocates nothing (so C2 compiled it: the interpreter and C1 box every vector)
     * and beats the scalar one by {@link #SPEED_UP} {@link #WINS} times in a row, or until
     * {@link #BUDGET_NANOS}. Only a compiled vector batch that is still slow is a finding: one
     * that the JIT has not compiled yet by then (a busy machine, C2's queue full of a model's
     * kernels) leaves the verdict to the flags.
     */
    private static SimdCheck time(SimdCheck flags) {
        float[] w = new float[N + 8];
        float[] x = new float[N];
        for (int i = 0; i < w.length; i++) {
            w[i] = (i % 7) * 0.25f - 0.5f;
        }
        for (int i = 0; i < N; i++) {
            x[i] = (i % 5) * 0.5f - 1f;
        }
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        com.sun.management.ThreadMXBean counter = threads instanceof com.sun.management.ThreadMXBean c
                && c.isThreadAllocatedMemorySupported() && c.isThreadAllocatedMemoryEnabled() ? c : null;
        long start = System.nanoTime();
        int wins = 0;
        float s = 0;
        while (true) {
            long allocated = counter == null ? 0 : counter.getCurrentThreadAllocatedBytes();
            long t0 = System.nanoTime();
            for (int k = 0; k < CALLS; k++) {
                s += Vec.dot(w, k & 7, N, x, 0);
            }
            long t1 = System.nanoTime();
            allocated = counter == null ? 0 : counter.getCurrentThreadAllocatedBytes() - allocated;
            for (int k = 0; k < CALLS; k++) {
                s += scalarDot(w, k & 7, x);
            }
            long t2 = System.nanoTime();
            long vector = t1 - t0;
            long scalar = t2 - t1;
            wins = allocated == 0 && vector * SPEED_UP <= scalar ? wins + 1 : 0;
            if (wins == WINS || t2 - start > BUDGET_NANOS) {
                sink = s;
                String elapsed = (t2 - start) / 1_000_000 + " ms";
                if (wins == WINS) {
                    String measured = String.format(Locale.ROOT, "a vector dot product ran %.1fx its scalar twin's speed after %s of warm-up",
                            (double) scalar / vector, elapsed);
                    return new SimdCheck(flags.bits, flags.lanes, flags.instructions, null, null, measured);
                }
                String times = String.format(Locale.ROOT, "a vector dot product of %d floats took %.2f µs against its scalar twin's %.2f µs"
                        + " after %s of warm-up", N, vector / 1e3 / CALLS, scalar / 1e3 / CALLS, elapsed);
                if (counter == null || allocated > 0) {
                    return new SimdCheck(flags.bits, flags.lanes, flags.instructions, null, null,
                            times + ", not compiled by C2 yet (inconclusive: the VM options show no problem)");
                }
                String jvm = System.getProperty("java.vm.name") + " " + System.getProperty("java.vm.version");
                return new SimdCheck(flags.bits, flags.lanes, flags.instructions,
                        times + ", compiled: this JVM (" + jvm + ") does not compile the Vector API to SIMD, though no VM option says why",
                        "run a HotSpot JDK 25 with its default JIT compilers (C1 and C2) and no vector options", times);
            }
        }
    }

    /** {@link Vec#dot}'s scalar twin: the same products, one FMA chain in order. */
    private static float scalarDot(float[] w, int wOff, float[] x) {
        float s = 0;
        for (int i = 0; i < N; i++) {
            s = Math.fma(w[wOff + i], x[i], s);
        }
        return s;
    }
}
