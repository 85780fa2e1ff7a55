package io.metalr.device;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a CPU forces on libtorch, decided once per JVM before its first convolution.
 *
 * <h2>AMD CPUs that hide their cache topology</h2>
 *
 * <p>libtorch 2.7.1 carries oneDNN 3.7.1, whose copy of xbyak reads an AMD CPU's caches from CPUID
 * leaf 0x8000001D without checking that the leaf exists. Some hypervisors (seen: AMD EPYC Zen 5
 * VMs) zero that leaf, so oneDNN takes every cache level for 1 byte, and the kernels it sizes for
 * such an L1 go wrong two ways (README, "Every x86-64 CPU"):
 * <ul>
 *   <li>the brgemm convolution picks a row block larger than the rows there are, and
 *       {@code est_eff_1x1()} divides by zero: SIGFPE in the backward pass of 1x1 stride-2
 *       convolutions (ResNet-50's downsample layers);
 *   <li>the direct convolutions return wrong numbers when a channel count is not a multiple of
 *       the vector width (golden-vector gradients 13% off, NaN losses), nondeterministically,
 *       at AVX-512 and at AVX2 alike.
 * </ul>
 * No oneDNN setting reaches the cache sizes, so on such a CPU the job sets oneDNN's count of known
 * cache levels to 0 ({@link LibtorchNative#resetCacheLevels}): oneDNN then sizes its kernels with
 * its built-in defaults, which is what its later versions (a fixed xbyak) do on such a CPU. Should
 * that field not be where oneDNN 3.7.1 keeps it, ATen's own convolutions replace oneDNN's
 * (correct, about 2x slower for the small network and 4x for ResNet-18).
 *
 * <p>The Linux kernel lists the caches under {@code /sys/devices/system/cpu/cpu0/cache} from the
 * same CPUID leaf, so an AMD CPU without that listing is the sign. {@code -Dmetalr.cpu_quirks} or
 * {@code METALR_CPU_QUIRKS} overrides the detection: {@code auto} (the default), {@code off}, or
 * {@code no-onednn} (ATen's convolutions on any CPU).
 */
public final class CpuQuirks {

    /** What this JVM did. */
    public enum Remedy { NONE, ONEDNN_DEFAULT_CACHES, NO_ONEDNN }

    /**
     * oneDNN's L1 per core below which its kernels break (measured: up to 4 KiB they crash or
     * compute wrong, from 8 KiB on they are right); the broken detection gives 1 byte.
     */
    static final long BROKEN_L1_BELOW = 8192;

    private static final Remedy REMEDY = decide(setting(), read(Path.of("/proc/cpuinfo")),
            Path.of("/sys/devices/system/cpu/cpu0"), new Libtorch(), line -> System.err.println("metalr: " + line));

    private CpuQuirks() {}

    /**
     * Makes this JVM's decision, once: whatever runs libtorch calls this before its first
     * convolution (the layers and the autograd tape do, when their classes load).
     */
    public static Remedy apply() {
        return REMEDY;
    }

    /** The native side of a remedy: libtorch, loaded on demand. */
    interface Levers {
        /** oneDNN's L1, L2 and L3 per core after the levels are reset (see LibtorchNative). */
        long[] resetOneDnnCacheLevels() throws IOException;

        void disableOneDnn() throws IOException;
    }

    /**
     * The remedy for a setting, the text of {@code /proc/cpuinfo} and the kernel's folder of CPU
     * 0; {@code say} gets one line saying what was done and why whenever something is.
     */
    static Remedy decide(String setting, String cpuinfo, Path cpu0, Levers levers, Consumer<String> say) {
        String s = setting.trim().toLowerCase(Locale.ROOT);
        switch (s) {
            case "off":
                return Remedy.NONE;
            case "no-onednn":
                return noOneDnn(levers, say, "METALR_CPU_QUIRKS=no-onednn");
            case "auto":
                break;
            default:
                throw new IllegalArgumentException(
                        "metalr.cpu_quirks / METALR_CPU_QUIRKS must be auto, off or no-onednn; got '" + setting + "'");
        }
        if (!isAmd(cpuinfo) || Files.isDirectory(cpu0.resolve("cache").resolve("index0"))) {
            return Remedy.NONE;
        }
        String why = "this CPU (" + field(cpuinfo, "model name") + ", family " + field(cpuinfo, "cpu family")
                + ") reports no cache topology (no " + cpu0.resolve("cache") + "), so libtorch's oneDNN 3.7.1 takes"
                + " every cache for 1 byte, computes some convolutions wrong and crashes in others";
        try {
            long[] bytes = levers.resetOneDnnCacheLevels();
            say.accept(why + "; set its cache levels to 0, so it sizes kernels with its defaults (L1 "
                    + bytes[0] / 1024 + " KiB, L2 " + bytes[1] / 1024 + " KiB, L3 " + bytes[2] / 1024
                    + " KiB per core), as its later versions do (METALR_CPU_QUIRKS=off turns this off)");
            return Remedy.ONEDNN_DEFAULT_CACHES;
        } catch (IOException | RuntimeException | LinkageError e) {
            return noOneDnn(levers, say, why + "; its cache view could not be reset (" + e.getMessage() + ")");
        }
    }

    private static Remedy noOneDnn(Levers levers, Consumer<String> say, String why) {
        try {
            levers.disableOneDnn();
        } catch (IOException | RuntimeException | LinkageError e) {
            throw new IllegalStateException(why + "; and oneDNN could not be turned off either (" + e.getMessage()
                    + "): refusing to train with wrong convolutions", e);
        }
        say.accept(why + "; convolutions run on ATen's own kernels instead of oneDNN's (slower, correct)");
        return Remedy.NO_ONEDNN;
    }

    /** The levers in the libtorch DJL loads (loading it if nothing has yet), its symbols read once. */
    private static final class Libtorch implements Levers {
        private LibtorchNative lib;

        private LibtorchNative loaded() throws IOException {
            if (lib == null) {
                ai.djl.engine.Engine.getInstance();
                lib = LibtorchNative.loaded();
            }
            return lib;
        }

        @Override
        public long[] resetOneDnnCacheLevels() throws IOException {
            return loaded().resetCacheLevels(BROKEN_L1_BELOW);
        }

        @Override
        public void disableOneDnn() throws IOException {
            loaded().disableOneDnn();
        }
    }

    private static boolean isAmd(String cpuinfo) {
        String vendor = field(cpuinfo, "vendor_id");
        return vendor.equals("AuthenticAMD") || vendor.equals("HygonGenuine");
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
