package io.metalr.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.metalr.nn.Autograd;
import io.metalr.nn.Layers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The remedy as libtorch sees it, in JVMs of their own (it is decided once per JVM, and a JVM
 * without it may die): the convolution that crashed on AMD CPUs without a cache topology (1x1,
 * stride 2, 512 to 1024 channels, backward) runs, and oneDNN's L1 is a real size. Whether the
 * numbers are right is ConvolutionReferenceTest's part.
 */
class CpuQuirksInLibtorchTest {

    /** This machine is one the remedy is for (the same sign CpuQuirks reads). */
    private static final boolean AFFECTED = CpuQuirks.read(Path.of("/proc/cpuinfo")).contains("AuthenticAMD")
            && !Files.isDirectory(Path.of("/sys/devices/system/cpu/cpu0/cache/index0"));

    /** Applies the remedy, prints it and oneDNN's L1, then runs the convolution that crashed. */
    static final class Child {
        public static void main(String[] args) throws Exception {
            try (NDManager m = NDManager.newBaseManager()) { // libtorch loads before the remedy
                System.out.println("remedy " + CpuQuirks.apply());
                System.out.println("onednn L1 " + LibtorchNative.loaded().perCoreCacheSize(1));
                Map<String, NDArray> p = Map.of("down.weight", m.randomNormal(new Shape(1024, 512, 1, 1)));
                NDArray x = m.randomNormal(new Shape(2, 512, 16, 16));
                x.setRequiresGradient(true);
                try (Autograd tape = Autograd.record()) {
                    tape.backward(Layers.conv(p::get, "down", x, 2, 0, false).sum());
                }
                System.out.println("done " + x.getGradient().getShape());
            }
        }
    }

    private record Run(int exit, String out) {}

    private static Run child(String quirks) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(List.of(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Dai.djl.offline=true",
                        "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=/dev/null",
                        "-cp", System.getProperty("java.class.path"), Child.class.getName()))
                .redirectErrorStream(true);
        pb.environment().put("METALR_CPU_QUIRKS", quirks);
        pb.environment().put("ONEDNN_VERBOSE", "1");
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), out);
        return new Run(p.exitValue(), out);
    }

    @Test
    void autoRunsTheConvolutionThatCrashedAndOnlyAffectedCpusAreTouched() throws Exception {
        Run r = child("auto");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("done (2, 512, 16, 16)"), r.out());
        if (AFFECTED) {
            assertTrue(r.out().contains("remedy ONEDNN_DEFAULT_CACHES"), r.out());
            assertTrue(r.out().contains("metalr: this CPU (") && r.out().contains("set its cache levels to 0"), r.out());
            long l1 = Long.parseLong(r.out().replaceAll("(?s).*onednn L1 (\\d+).*", "$1"));
            assertTrue(l1 >= 8192, "oneDNN's L1 after the remedy: " + l1);
        } else {
            assertTrue(r.out().contains("remedy NONE"), r.out());
            assertFalse(r.out().contains("metalr: this CPU"), r.out());
        }
    }

    @Test
    void withoutTheRemedyAnAffectedCpuCrashes() throws Exception {
        Run r = child("off");
        if (AFFECTED) {
            assertNotEquals(0, r.exit(), "the remedy would not be needed: " + r.out());
            assertTrue(r.out().contains("SIGFPE"), r.out());
        } else {
            assertEquals(0, r.exit(), r.out());
        }
    }

    @Test
    void noOneDnnRunsEveryConvolutionOnAtensKernels() throws Exception {
        Run r = child("no-onednn");
        assertEquals(0, r.exit(), r.out());
        assertTrue(r.out().contains("remedy NO_ONEDNN") && r.out().contains("ATen's own kernels"), r.out());
        assertFalse(r.out().lines().anyMatch(l -> l.startsWith("onednn_verbose") && l.contains(",convolution,")),
                "oneDNN ran a convolution: " + r.out());
    }
}
