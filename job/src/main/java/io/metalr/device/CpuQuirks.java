package io.metalr.device;

import com.sun.jna.Library;
import com.sun.jna.Native;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a CPU forces on libtorch's kernels, decided once per JVM, before the first convolution.
 *
 * <h2>AMD CPUs that hide their cache topology</h2>
 *
 * <p>libtorch 2.7.1 carries oneDNN 3.7.1, whose copy of xbyak reads an AMD CPU's caches from CPUID
 * leaf 0x8000001D without checking that the leaf exists. Some hypervisors (seen: AMD EPYC Zen 5
 * VMs) zero that leaf, so oneDNN takes every cache level for 1 byte, and its kernels, sized for
 * such caches, go wrong two ways (README, "Every x86-64 CPU"):
 * <ul>
 *   <li>the brgemm convolution picks a row block larger than the rows there are, and
 *       {@code est_eff_1x1()} divides by zero: SIGFPE in the backward pass of 1x1 stride-2
 *       convolutions (ResNet-50's downsample layers), at every ISA from AVX2 up;
 *   <li>the AVX-512 convolutions return wrong numbers (golden-vector gradients 13% off, NaN
 *       losses), nondeterministically; at AVX2 they are right.
 * </ul>
 * No oneDNN setting reaches the cache sizes. So on such a CPU, and only there: oneDNN's ISA is
 * capped at AVX2 ({@code ONEDNN_MAX_CPU_ISA}, unless the environment already sets it), and every 1x1
 * convolution runs as the matrix product it is ({@code Layers.conv}). A cap at AVX, the other
 * way to avoid brgemm, makes every step 2.5-3x slower.
 *
 * <p>The Linux kernel lists the caches under {@code /sys/devices/system/cpu/cpu0/cache} from the
 * same CPUID leaf, so an AMD CPU without that listing is the sign. {@code -Dmetalr.cpu_quirks} or
 * {@code METALR_CPU_QUIRKS} ({@code auto}, {@code on}, {@code off}) overrides the detection.
 */
public final class CpuQuirks {

    /** The ISA cap, in oneDNN's spelling. */
    static final String ONEDNN_ISA_CAP = "AVX2";
    static final String ISA_VARIABLE = "ONEDNN_MAX_CPU_ISA";

    private static final boolean AFFECTED = decide(setting(), read(Path.of("/proc/cpuinfo")),
            Path.of("/sys/devices/system/cpu/cpu0"), System.getenv(), CpuQuirks::setenv,
            line -> System.err.println("metalr: " + line));

    private CpuQuirks() {}

    /**
     * Makes this JVM's decision, once. oneDNN reads its ISA cap when it builds its first
     * primitive, so whatever runs libtorch calls this first (the layers and the autograd tape do,
     * when their classes load).
     */
    public static void apply() {
        // the decision is the class's initialisation: nothing more to do
    }

    /** Whether 1x1 convolutions must avoid oneDNN on this machine ({@link #apply} first). */
    public static boolean conv1x1AsMatmul() {
        return AFFECTED;
    }

    /**
     * The decision for a setting ({@code auto}, {@code on}, {@code off}), the text of
     * {@code /proc/cpuinfo}, the kernel's folder of CPU 0 and the environment; when the
     * workaround applies, {@code setenv} caps oneDNN's ISA (unless the environment names one) and
     * {@code say} gets one line saying what was set and why.
     */
    static boolean decide(String setting, String cpuinfo, Path cpu0, Map<String, String> env,
            Consumer<String> setenv, Consumer<String> say) {
        String s = setting.trim().toLowerCase(Locale.ROOT);
        boolean affected = switch (s) {
            case "on" -> true;
            case "off" -> false;
            case "auto" -> isAmd(cpuinfo) && !Files.isDirectory(cpu0.resolve("cache").resolve("index0"));
            default -> throw new IllegalArgumentException(
                    "metalr.cpu_quirks / METALR_CPU_QUIRKS must be auto, on or off; got '" + setting + "'");
        };
        if (!affected) {
            return false;
        }
        String cap = env.get(ISA_VARIABLE) != null ? env.get(ISA_VARIABLE) : env.get("DNNL_MAX_CPU_ISA");
        if (cap == null) {
            setenv.accept(ONEDNN_ISA_CAP);
        }
        String why = s.equals("on") ? "METALR_CPU_QUIRKS=on"
                : "this CPU (" + field(cpuinfo, "model name") + ", family " + field(cpuinfo, "cpu family")
                        + ") reports no cache topology (no " + cpu0.resolve("cache") + "), so libtorch's oneDNN takes"
                        + " every cache for 1 byte: its AVX-512 convolutions compute wrong numbers and its 1x1"
                        + " convolutions crash (SIGFPE)";
        say.accept(why + "; set " + (cap == null ? ISA_VARIABLE + "=" + ONEDNN_ISA_CAP : "nothing (" + ISA_VARIABLE
                + " is already " + cap + ")") + " and 1x1 convolutions run as matrix products"
                + (s.equals("on") ? "" : " (METALR_CPU_QUIRKS=off turns this off)"));
        return true;
    }

    private static boolean isAmd(String cpuinfo) {
        String vendor = field(cpuinfo, "vendor_id");
        return vendor.equals("AuthenticAMD") || vendor.equals("HygonGenuine");
    }

    /** Sets the ISA cap in this process's environment, where libtorch's getenv reads it. */
    private static void setenv(String value) {
        if (LibC.INSTANCE.setenv(ISA_VARIABLE, value, 1) != 0) {
            throw new IllegalStateException("could not set " + ISA_VARIABLE + "=" + value + " in this process");
        }
    }

    /** glibc's setenv: Java cannot change its own process's environment. */
    private interface LibC extends Library {
        LibC INSTANCE = Native.load("c", LibC.class);

        int setenv(String name, String value, int overwrite);
    }

    private static String setting() {
        String s = System.getProperty("metalr.cpu_quirks");
        if (s == null) {
            s = System.getenv("METALR_CPU_QUIRKS");
        }
        return s == null ? "auto" : s;
    }

    /** This CPU's model name as /proc/cpuinfo gives it, or "unknown" (benchmarks name the CPU). */
    public static String cpuModel() {
        return field(read(Path.of("/proc/cpuinfo")), "model name");
    }

    /** The first value of a {@code /proc/cpuinfo} field, or "unknown". */
    static String field(String cpuinfo, String name) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "\\s*:\\s*(.*)$").matcher(cpuinfo);
        return m.find() ? m.group(1).trim() : "unknown";
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException | RuntimeException e) {
            return ""; // not Linux, or /proc hidden: nothing to work around that we can see
        }
    }
}
